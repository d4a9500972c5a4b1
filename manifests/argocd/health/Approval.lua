-- Argo CD health check for it4it.dev/Approval (resource.customizations.health.it4it.dev_Approval).
-- Healthy while it counts for the plan or incident it names; Progressing otherwise.
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

return kstatus(nil)
