-- Argo CD health check for it4it.dev/Subscription (resource.customizations.health.it4it.dev_Subscription).
-- Suspended while spec.state is Suspended and the workloads are scaled to zero.
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

return kstatus("Suspended")
