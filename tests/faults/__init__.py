"""The fault suite: the operator driven through faults while subscriptions converge.

`run.py` is the driver (`make faults`, `make faults-short`): a fresh local control plane, the
operator behind a TCP proxy (`proxy.py`), a workload of subscriptions (`workload.py`), the
fault scenarios (`scenarios.py`) run through a harness (`harness.py`), and an invariant checker
over the final state (`invariants.py`, pure functions, unit-tested without a cluster). It
asserts the invariants and prints the timings as one Markdown table (`report.py`).
"""
