"""A real local Kubernetes control plane for development, tests and benchmarks.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK (fake nodes whose pods
really turn Ready, Complete or Failed) started from binaries built once from their Go modules.
No Docker. `it4it cluster up|down|status` and the pytest fixtures both use `LocalCluster`.
"""

from it4it_operator.devcluster.cluster import LocalCluster

__all__ = ["LocalCluster"]
