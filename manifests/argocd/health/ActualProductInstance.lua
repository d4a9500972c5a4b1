-- Argo CD health check for it4it.dev/ActualProductInstance
-- (resource.customizations.health.it4it.dev_ActualProductInstance).
-- What runs: status.health Degraded or Missing is Degraded, Suspended is Suspended (scaled to
-- zero on purpose); otherwise the operator's kstatus conditions: Stalled=True is Degraded,
-- Reconciling=True or Ready not True is Progressing, Ready=True is Healthy.

local ready = condition("Ready")
local health = obj.status.health
if health == "Degraded" or health == "Missing" then
  hs.status = "Degraded"
  hs.message = message(ready, "Release " .. (obj.status.release or "") .. " is " .. health)
  return hs
end
if health == "Suspended" then
  hs.status = "Suspended"
  hs.message = message(ready, "Suspended: scaled to zero")
  return hs
end
return kstatus(nil)
