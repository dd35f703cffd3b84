-- Argo CD health check for the journey-operator kinds (cx.journeymap.dev:
-- Persona, JourneyMap, TouchpointMonitor). It reads what kstatus and Flux
-- read, so both tools agree: the Stalled and Ready conditions and
-- status.observedGeneration. Customer health (status.health) is reported in
-- the message but never fails a sync: an SLO burning is an alert for the
-- SRE, not a broken deployment.
local hs = {status = "Progressing", message = "Waiting for journey-operator to reconcile"}

local function condition(conditions, type)
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation

-- An invalid spec: the operator will not retry until the spec changes. The
-- condition's own observedGeneration tells whether it is about this spec.
local stalled = condition(obj.status.conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" and
    (generation == nil or stalled.observedGeneration == nil or stalled.observedGeneration >= generation) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

-- Conditions written for an older spec say nothing about the current one.
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  hs.message = "Waiting for journey-operator to observe generation " .. generation
  return hs
end

local ready = condition(obj.status.conditions, "Ready")
if ready == nil then
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  if obj.status.health ~= nil and obj.status.health ~= "" then
    hs.message = "Customer health " .. obj.status.health .. "; " .. hs.message
  end
  return hs
end
-- Ready=False without Stalled is a missing reference (objects may arrive in
-- any order) or a transient failure the operator retries: still progressing.
hs.message = describe(ready)
return hs
