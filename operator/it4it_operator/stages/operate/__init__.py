"""The Operate value stream (5.7) and service support (5.6.5) as pure decisions.

- `detect`: symptoms of an instance's live state and which breach the thresholds (Detect Issue).
- `priority`: impact x urgency -> P1..P4 (Detect Issue: prioritise and assign).
- `correlate`: related incidents across a release's instances, major incidents (Remediate a
  major Event or Incident).
- `diagnose`: known errors, the course of action, problem feedback to Integrate (Diagnose
  Issue).
- `resolve`: execute, verify, resolve or escalate, as a state machine (Resolve Issue).
- `support`: self-help and the reporter's acceptance (Provide Service Support).
- `maintenance`: recurring maintenance windows and their notice (Perform Scheduled
  Maintenance).

Operate builds on Deploy (`window`), Consume (`sla_met`) and Release (`wire`); none of them
imports Operate. Handlers gather the live state and the clock, and apply the verdicts.
"""
