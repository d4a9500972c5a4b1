-- Argo CD health check for it4it.dev/ServiceOffer (resource.customizations.health.it4it.dev_ServiceOffer).
-- Healthy once published; Degraded while incompletely defined (Stalled).
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

return kstatus(nil)
