-- Argo CD health check for it4it.dev/Incident (resource.customizations.health.it4it.dev_Incident).
-- Healthy once Resolved or Closed (Ready=True); Degraded while Escalated to people (Stalled);
-- Progressing while it is detected, diagnosed, awaiting an approval, resolving or verifying.
-- The message leads with the priority, so a P1 stands out in the Argo CD tree.

local status = obj.status
local lead = (status.priority or "Incident") .. " " .. (status.phase or "Detected") .. ": "
local ready = condition("Ready")
if is_true(ready) then
  hs.status = "Healthy"
  hs.message = lead .. message(ready, "resolved")
  return hs
end
local stalled = condition("Stalled")
if status.phase == "Escalated" or is_true(stalled) then
  hs.status = "Degraded"
  hs.message = lead .. message(stalled, message(ready, "escalated to the resolver group"))
  return hs
end
hs.status = "Progressing"
hs.message = lead .. message(condition("Reconciling"), message(ready, "being worked on"))
return hs
