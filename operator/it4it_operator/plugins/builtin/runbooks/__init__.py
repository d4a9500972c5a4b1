"""Built-in runbook actions for the Operate value stream, one entry point each.

An incident's course of action names a runbook plugin (Restart, Rollback, Scale, Reapply,
Playbook); the plugin plans the steps that resolve the incident and the Operate controller carries
them out: a "patch" step is a JSON merge patch on its target, a "playbook" step an Ansible
playbook run against the instance. Plans are pure and deterministic, so re-running a step of the
same attempt after a crash changes nothing (see `steps`).
"""

from it4it_operator.plugins.builtin.runbooks.actions import (
    REAPPLY_ANNOTATION,
    RESTARTED_AT_ANNOTATION,
    ROLLBACK_ANNOTATION,
    SCALE_ANNOTATION,
    Reapply,
    Restart,
    Rollback,
    Scale,
)
from it4it_operator.plugins.builtin.runbooks.playbook import Playbook

RESTART = Restart()
ROLLBACK = Rollback()
SCALE = Scale()
REAPPLY = Reapply()
PLAYBOOK = Playbook()

__all__ = [
    "PLAYBOOK",
    "REAPPLY",
    "REAPPLY_ANNOTATION",
    "RESTART",
    "RESTARTED_AT_ANNOTATION",
    "ROLLBACK",
    "ROLLBACK_ANNOTATION",
    "SCALE",
    "SCALE_ANNOTATION",
    "Playbook",
    "Reapply",
    "Restart",
    "Rollback",
    "Scale",
]
