-- Argo CD health check for it4it.dev/Incident (resource.customizations.health.it4it.dev_Incident).
-- Healthy once Resolved or Closed (Ready=True); Degraded while Escalated to people (Stalled);
-- Progressing while it is detected, diagnosed, awaiting an approval, resolving or verifying.
-- The message leads with the priority, so a P1 stands out in the Argo CD tree.

local hs = {}

local function condition(type)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function is_true(c)
  return c ~= nil and c.status == "True"
end

local function message(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

-- Not observed yet: the operator has not looked at this generation of the spec.
local function unobserved()
  if obj.status == nil or obj.status.observedGeneration == nil then
    return "Waiting for the operator to observe " .. obj.kind .. " " .. obj.metadata.name
  end
  local generation = obj.metadata.generation
  if generation ~= nil and obj.status.observedGeneration < generation then
    return "Waiting for the operator to observe generation " .. generation
  end
  local ready = condition("Ready")
  if generation ~= nil and ready ~= nil and ready.observedGeneration ~= nil
      and ready.observedGeneration < generation then
    return "Waiting for the operator to observe generation " .. generation
  end
  return nil
end

local waiting = unobserved()
if waiting ~= nil then
  hs.status = "Progressing"
  hs.message = waiting
  return hs
end

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
