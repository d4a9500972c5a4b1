"""Operator start-up: where kopf keeps its state, and the clients every controller shares."""

from __future__ import annotations

import os
import random
from typing import Any

import kopf

from it4it_operator import GROUP
from it4it_operator.controllers.context import Context
from it4it_operator.k8s import Kube

FINALIZER = f"{GROUP}/decommission"
PEERING_ENV = "IT4IT_PEERING"
"""Name of the kopf peering object when several replicas run; unset: standalone."""


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # kopf's progress and diff-base go to status.kopf (preserved by every CRD's schema), not to
    # annotations that GitOps tools would see as drift.
    settings.persistence.progress_storage = kopf.StatusProgressStorage(field="status.kopf.progress")
    settings.persistence.diffbase_storage = kopf.StatusDiffBaseStorage(field="status.kopf.diffbase")
    settings.persistence.finalizer = FINALIZER
    peering = os.environ.get(PEERING_ENV)
    settings.peering.standalone = not peering
    if peering:
        settings.peering.name = peering
        settings.peering.clusterwide = True
        # kopf pauses every replica when two share a priority: give each its own, so the
        # highest works and the others stand by until its peering record expires.
        settings.peering.priority = random.randint(1, 2**30)
    settings.posting.enabled = True
    settings.execution.max_workers = 8
    settings.watching.server_timeout = 300
    memo.ctx = Context.from_env(Kube.connect())
