-- Argo CD health check for it4it.dev/DesiredProductInstance (resource.customizations.health.it4it.dev_DesiredProductInstance).
-- Suspended while spec.state is Disabled (scaled to zero, kept).
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

return kstatus("Disabled")
