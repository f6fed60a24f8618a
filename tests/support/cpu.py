"""CPU time spent by groups of processes over a stretch of a run, read from ``/proc`` (Linux).

A benchmark names its groups ("serving", "PostgreSQL", ...) by their root processes; the meter
samples every ``interval`` seconds in a thread and sums, per group, the CPU each process (and,
for a tree, each descendant) used since it was first seen — a process that appears during the
run (a restarted server, a new database backend) counts from its start. A process that dies
between two samples loses what it used since the last one, so under ``kill -9`` the figures are
a lower bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of ``pid``, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _with_descendants(roots: Iterable[int]) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents.setdefault(stat[0], []).append(int(entry.name))
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(parents.get(pid, ()))
    return found


class CpuMeter:
    """``groups``: name → (a function giving the group's root pids now, whether to add their
    descendants). Use as a context manager around the stretch to measure."""

    def __init__(self, groups: dict[str, tuple[Callable[[], Iterable[int]], bool]],
                 interval: float = 0.5) -> None:
        self.groups = groups
        self.interval = interval
        self.seconds: dict[str, float] = dict.fromkeys(groups, 0.0)
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)

    def __enter__(self) -> CpuMeter:
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self, first: bool = False) -> None:
        for name, (roots, tree) in self.groups.items():
            try:
                pids = set(roots())
            except Exception:  # noqa: BLE001 - a group between restarts has no process now
                continue
            for pid in _with_descendants(pids) if tree else pids:
                stat = _stat(pid)
                if stat is None:
                    continue
                used = stat[1]
                if not first:
                    self.seconds[name] += used - self._last.get(pid, 0.0)
                self._last[pid] = used

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per unit (e.g. per order), by group."""
        return {name: 1000 * used / count for name, used in self.seconds.items()} if count else {}
