-- Argo CD health check for it4it.dev/Subscription (resource.customizations.health.it4it.dev_Subscription).
-- Suspended while spec.state is Suspended and the workloads are scaled to zero.
-- Follows the operator's kstatus conditions, as Flux and kubectl wait read them: a spec not yet
-- observed or Reconciling=True is Progressing, Stalled=True is Degraded, Ready=True is Healthy.

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

local stalled = condition("Stalled")
if is_true(stalled) then
  hs.status = "Degraded"
  hs.message = message(stalled, "Stalled")
  return hs
end
local reconciling = condition("Reconciling")
if is_true(reconciling) then
  hs.status = "Progressing"
  hs.message = message(reconciling, "Reconciling")
  return hs
end
local ready = condition("Ready")
if is_true(ready) then
  hs.status = "Healthy"
  if obj.spec ~= nil and obj.spec.state == "Suspended" then
    hs.status = "Suspended"
  end
  hs.message = message(ready, "Ready")
  return hs
end
hs.status = "Progressing"
hs.message = message(ready, "Waiting for the Ready condition")
return hs
