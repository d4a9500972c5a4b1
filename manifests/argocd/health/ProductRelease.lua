-- Argo CD health check for it4it.dev/ProductRelease (resource.customizations.health.it4it.dev_ProductRelease).
-- Healthy once accepted; Progressing while its team has not accepted it.
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

return kstatus(nil)
