-- Shared by every it4it.dev health check (tests/support/gitops.py puts it between each kind's
-- header and body, as `make argocd` writes them into argocd-cm: Argo CD wants one
-- self-contained script per kind). `obj` is the object, `hs` the answer; a spec the operator
-- has not observed yet is Progressing before anything else is looked at.

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

-- The operator's kstatus conditions, as Flux and kubectl wait read them: Stalled=True is
-- Degraded, Reconciling=True is Progressing, Ready=True is Healthy (Suspended while
-- spec.state is `suspended_state`), anything else Progressing.
local function kstatus(suspended_state)
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
    if suspended_state ~= nil and obj.spec ~= nil and obj.spec.state == suspended_state then
      hs.status = "Suspended"
    end
    hs.message = message(ready, "Ready")
    return hs
  end
  hs.status = "Progressing"
  hs.message = message(ready, "Waiting for the Ready condition")
  return hs
end

