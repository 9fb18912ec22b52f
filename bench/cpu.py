"""Where the machine's CPU went during a measured run (Linux ``/proc``): the server's
processes, PostgreSQL's, and the whole machine, each as a percentage of one core.

A load benchmark's rate alone cannot tell a server that waits from one that works: two
server processes each busy 45 % of a core, on a machine half idle, wait on something (issue
15: it was Nagle's algorithm), where two at 75 % with the machine full are limited by the
cores. ``CpuMeter`` takes a reading before and after the run and prints the difference.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def available() -> bool:
    return (_PROC / "stat").exists()


def _process_times() -> dict[int, tuple[int, str, float]]:
    """Each process's (parent pid, command name, user + system CPU seconds)."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the name: state, ppid, ..., utime (the 12th) and stime (the 13th): proc(5).
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS
        found[int(entry.name)] = (int(fields[1]), name, seconds)
    return found


def _machine_busy() -> float:
    """CPU seconds the machine spent busy (all cores): not idle, not waiting for I/O."""
    values = [int(v) for v in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, _steal = values
    return (user + nice + system + irq + softirq) / _TICKS


def _descendants(root: int, processes: dict[int, tuple[int, str, float]]) -> set[int]:
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _, _) in processes.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


@dataclass(frozen=True)
class CpuShare:
    """Percent of one core, over the run: the server's processes together, each of them,
    PostgreSQL's processes, and the machine."""

    server: float
    per_process: tuple[float, ...]
    postgresql: float
    machine: float

    def __str__(self) -> str:
        return self.describe("server")

    def describe(self, measured: str) -> str:
        """The shares, the measured processes named ``measured``."""
        each = "+".join(f"{p:.0f}" for p in self.per_process)
        return (
            f"CPU: {measured} {self.server:.0f} % ({each}), PostgreSQL {self.postgresql:.0f} %, "
            f"machine {self.machine:.0f} % of {100 * (os.cpu_count() or 1)} %"
        )


class CpuMeter:
    """CPU used between ``start`` and ``stop`` by the server rooted at ``server_pid``."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def start(self) -> None:
        self._before = _process_times()
        self._busy_before = _machine_busy()
        self._started = time.monotonic()

    def stop(self) -> CpuShare:
        after = _process_times()
        busy = _machine_busy() - self._busy_before
        elapsed = time.monotonic() - self._started

        def used(pid: int) -> float:
            earlier = self._before.get(pid)
            return after[pid][2] - (earlier[2] if earlier is not None else 0.0)

        server = _descendants(self.server_pid, after)
        shares = sorted((used(pid) for pid in server), reverse=True)
        postgres = [pid for pid, (_, name, _) in after.items() if name.startswith("postgres")]

        def percent(seconds: float) -> float:
            return 100 * seconds / elapsed if elapsed > 0 else 0.0

        return CpuShare(
            server=percent(sum(shares)),
            per_process=tuple(percent(s) for s in shares if percent(s) >= 1),
            postgresql=percent(sum(used(pid) for pid in postgres)),
            machine=percent(busy),
        )
