"""Run an Argo CD health script the way Argo CD's `util/lua` runs it, in Lua 5.1.

Argo CD evaluates argocd-cm health scripts in gopher-lua, a Lua 5.1 implementation,
with `SkipOpenLibs` and then only the package, base and table libraries plus a reduced
`os` (util/lua/lua.go `runLua`); there is no `string` or `math` library, so strings
have no methods either. The object is converted by `decodeValue`: maps to tables with
string keys, lists to 1-based arrays, JSON null to nil, numbers to float64 LNumbers.
The result table is JSON-encoded and a status outside Argo CD's six codes becomes
Unknown ("Lua returned an invalid health status").

Here: PUC-Rio Lua 5.1 from `lupa.lua51` (the same language version; its number type is
the same C double as LNumber), the script's globals limited to what gopher-lua
provides in that sandbox, the string metatable removed, the object converted the same
way. A script that passes here uses nothing Argo CD lacks; iteration order of `pairs`
differs between the two engines, so the script must not depend on it (it does not:
comparisons are order-free).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lupa import lua51

VALID = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")

_SANDBOX = """
local script = ...
local env = {}
for _, name in ipairs({"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal",
                       "rawget", "rawset", "select", "tonumber", "tostring", "type",
                       "unpack", "xpcall", "getmetatable", "setmetatable", "_VERSION"}) do
  env[name] = _G[name]
end
env.table = {concat = table.concat, insert = table.insert, maxn = table.maxn,
             remove = table.remove, sort = table.sort}
env.os = {time = os.time, date = os.date, clock = os.clock}
env._G = env
debug.setmetatable("", nil)
local chunk = assert(loadstring(script, "=health.lua"))
setfenv(chunk, env)
return function(obj)
  env.obj = obj
  return chunk()
end
"""


class HealthScript:
    """One compiled script in its own Lua state, callable per object."""

    def __init__(self, script: str) -> None:
        self._lua = lua51.LuaRuntime(register_eval=False)
        self._run = self._lua.execute(_SANDBOX, script)

    def _table(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            table = self._lua.table()
            for key, item in value.items():
                if item is not None:
                    table[str(key)] = self._table(item)
            return table
        if isinstance(value, list | tuple):
            table = self._lua.table()
            for index, item in enumerate(value, start=1):
                table[index] = self._table(item)
            return table
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return float(value)
        return value

    def __call__(self, obj: Mapping[str, Any]) -> tuple[str, str]:
        result = self._run(self._table(obj))
        if lua51.lua_type(result) != "table":
            raise TypeError(f"expect table output from Lua script, not {lua51.lua_type(result)}")
        status = str(result["status"] or "")
        message = str(result["message"] or "")
        if status not in VALID:
            return "Unknown", "Lua returned an invalid health status"
        return status, message
