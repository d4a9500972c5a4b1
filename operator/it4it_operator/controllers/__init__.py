"""Controllers: the reconcile loops of each value stream, between kopf and the stage logic.

A controller gathers state through `k8s.Kube`, asks the pure stage functions for decisions,
applies them and writes status and Events. It never imports kopf, so it can be driven by the
kopf handlers, a test, or a benchmark alike.
"""
