"""Drive a local server with ``wrk`` (Debian package ``wrk``): a C load generator that costs
the shared machine little CPU. A Lua script rotates the request's API key over a list of
keys, one request after another, and prints wrk's figures as one JSON line."""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = """
local keys = {%(keys)s}
local path = "%(path)s"
local method = "%(method)s"
local body = %(body)s
local n = 0
request = function()
  n = n + 1
  local headers = {}
  if #keys > 0 then
    headers["Authorization"] = "Bearer " .. keys[(n %% #keys) + 1]
  end
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "status_errors": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    *,
    host: str,
    port: int,
    path: str,
    keys: list[str],
    connections: int = 32,
    seconds: float = 10.0,
    threads: int = 1,
    method: str = "GET",
    body: bytes | None = None,
) -> WrkResult:
    """``wrk`` against ``http://host:port{path}``, each request with the next key of ``keys``
    (none: no Authorization header); with ``body``, a JSON body (printable ASCII: it is
    written into the Lua script as a string)."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("the load generator only targets a server on this machine")
    if body is not None and not (body.isascii() and body.decode().isprintable()):
        raise ValueError("the body must be printable ASCII")
    script = _SCRIPT % {
        "keys": ", ".join(json.dumps(k) for k in keys),
        "path": path,
        "method": method,
        "body": "nil" if body is None else json.dumps(body.decode()),
    }
    with tempfile.TemporaryDirectory(prefix="clearfile-wrk-") as tmp:
        lua = Path(tmp) / "rotate.lua"
        lua.write_text(script, encoding="utf-8")
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            f"http://{host}:{port}{path}",
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=data["requests"] - data["status_errors"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
