"""The health Argo CD assigns to a child Application: the gate between sync-waves.

Since Argo CD 1.8 an Application has no built-in health for `argoproj.io/Application`
resources, so the root app-of-apps would start wave N+1 as soon as wave N's Application
objects exist. gitops-engine's sync context decides per wave from the health of the
live objects it applied (`Healthy` → task done, `Degraded` → operation failed, anything
else → wait). This module holds the Lua that makes that decision mean "the child has
finished applying *its current spec*", for upgrades as much as for first installs:

- a child whose `status.sync.comparedTo` is for an older spec (the parent just changed
  it) reports Progressing, however Healthy its last status was;
- a requested, Running or Terminating sync operation is Progressing;
- a Failed/Error operation *for the current spec and revision* is Degraded (the parent's
  sync fails and retries); a failure of an earlier spec is not held against the new one;
- OutOfSync is Progressing, unless every OutOfSync resource only waits for a prune that
  bkgen deliberately leaves to people (`Prune=false`, or `prune: false` environments);
- sync status Unknown with a ComparisonError is Degraded, otherwise Progressing;
- then the child's own health: Healthy, Degraded, Suspended as they are, the rest
  Progressing.

Argo CD runs health scripts from argocd-cm in gopher-lua (Lua 5.1) with only the base,
table, package and a safe os library: no `string` library, so no string methods either.
tests/argocd/test_health_lua.py runs this script under the same restrictions.
This module must not grow logic in Python: the Lua is the behaviour.
"""

from __future__ import annotations

from typing import Any

from bkgen.overlay.load import Environment

CM_KEY = "resource.customizations.health.argoproj.io_Application"

APPLICATION_HEALTH_LUA = """\
-- bkgen: a child Application is Healthy only when it is Synced to its current spec with
-- no sync operation running and its own health is Healthy. docs/argocd.md has the table.
-- Written for Argo CD's sandbox: base and table libraries only, no string library.
local hs = {}

local function text(value)
  if value == nil then
    return ""
  end
  return tostring(value)
end

-- Go's encoding/json leaves empty fields out of status (omitempty) while the spec keeps
-- what the parent applied, so absent, false, "", 0 and empty tables are one value.
local function zero(value)
  if value == nil or value == false or value == "" or value == 0 then
    return true
  end
  if type(value) == "table" then
    for _, item in pairs(value) do
      if not zero(item) then
        return false
      end
    end
    return true
  end
  return false
end

local function same(a, b)
  if zero(a) and zero(b) then
    return true
  end
  if type(a) ~= "table" or type(b) ~= "table" then
    return a == b
  end
  for key, item in pairs(a) do
    if not same(item, b[key]) then
      return false
    end
  end
  for key, item in pairs(b) do
    if a[key] == nil and not zero(item) then
      return false
    end
  end
  return true
end

-- every field the spec sets has this value in `other` (fields Argo CD may add are ignored)
local function covers(spec, other)
  if zero(spec) then
    return true
  end
  if type(spec) ~= "table" or type(other) ~= "table" then
    return spec == other
  end
  for key, item in pairs(spec) do
    if not zero(item) and not covers(item, other[key]) then
      return false
    end
  end
  return true
end

local function multi(spec)
  return not zero(spec.sources)
end

local function sameSources(spec, other)
  if other == nil then
    return false
  end
  if multi(spec) then
    return same(spec.sources, other.sources)
  end
  return same(spec.source, other.source)
end

local function comparedToCurrent(spec, compared)
  if compared == nil or not sameSources(spec, compared) then
    return false
  end
  return covers(spec.destination, compared.destination)
end

local function failedHere(spec, sync, result)
  if result == nil then
    return true
  end
  if multi(spec) then
    return same(result.revisions, sync.revisions) and sameSources(spec, result)
  end
  return text(result.revision) == text(sync.revision) and sameSources(spec, result)
end

local function condition(conditions, kind)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, item in ipairs(conditions) do
    if item.type == kind then
      return text(item.message)
    end
  end
  return nil
end

-- number of resources waiting only for a prune, or -1 when something else is OutOfSync
local function pruneOnly(resources)
  if type(resources) ~= "table" then
    return -1
  end
  local count = 0
  for _, item in ipairs(resources) do
    if item.status == "OutOfSync" then
      if item.requiresPruning ~= true then
        return -1
      end
      count = count + 1
    end
  end
  if count == 0 then
    return -1
  end
  return count
end

local function assess(app)
  local metadata = app.metadata or {}
  if metadata.deletionTimestamp ~= nil then
    return "Progressing", "being deleted"
  end
  local status = app.status
  if status == nil or status.sync == nil or status.health == nil then
    return "Progressing", "waiting for the first comparison"
  end
  if app.operation ~= nil then
    return "Progressing", "a sync operation is requested"
  end
  local op = status.operationState
  local phase = ""
  if op ~= nil then
    phase = text(op.phase)
  end
  if phase == "Running" or phase == "Terminating" then
    return "Progressing", "sync " .. phase .. ": " .. text(op.message)
  end
  local spec = app.spec or {}
  if not comparedToCurrent(spec, status.sync.comparedTo) then
    return "Progressing", "waiting for the comparison of the current spec"
  end
  if (phase == "Failed" or phase == "Error") and failedHere(spec, status.sync, op.syncResult) then
    return "Degraded", "sync " .. phase .. ": " .. text(op.message)
  end
  local sync = text(status.sync.status)
  local note = ""
  if sync == "OutOfSync" then
    local pending = pruneOnly(status.resources)
    if pending < 0 then
      local policy = spec.syncPolicy or {}
      if policy.automated == nil then
        return "Progressing", "OutOfSync and automated sync is off: sync it by hand"
      end
      return "Progressing", "OutOfSync: waiting for the automated sync"
    end
    note = "; " .. pending .. " resource(s) left for a manual prune"
  elseif sync ~= "Synced" then
    local problem = condition(status.conditions, "ComparisonError")
    if problem ~= nil then
      return "Degraded", "ComparisonError: " .. problem
    end
    return "Progressing", "sync status " .. sync .. ": waiting for a comparison"
  end
  local health = text(status.health.status)
  local message = text(status.health.message)
  if message == "" then
    message = "the child reports " .. health
  end
  if health == "Healthy" then
    return "Healthy", "Synced to the current spec and Healthy" .. note
  end
  if health == "Degraded" or health == "Suspended" then
    return health, message
  end
  if health == "Missing" then
    return "Progressing", "resources not created yet"
  end
  return "Progressing", message
end

hs.status, hs.message = assess(obj)
return hs
"""


def argocd_cm(env: Environment) -> dict[str, Any]:
    """A partial argocd-cm carrying only the health key (applied server-side, merged)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "argocd-cm",
            "namespace": env.settings.argocd_namespace,
            "labels": {
                "app.kubernetes.io/name": "argocd-cm",
                "app.kubernetes.io/part-of": "argocd",
            },
            "annotations": {
                "bkgen.io/apply": "kubectl apply --server-side --field-manager=bkgen "
                "--force-conflicts: merges this key into the existing argocd-cm",
            },
        },
        "data": {CM_KEY: APPLICATION_HEALTH_LUA},
    }
