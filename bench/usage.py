"""What the stack's processes use during a run: CPU seconds and peak memory, each process apart.

CPU is also counted for the rest of the machine, to tell how noisy a run was: what other
processes used meanwhile, in cores.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil


def _busy_jiffies() -> int:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle


def _tree_cpu(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            for member in [process, *process.children(recursive=True)]:
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


class CpuWatch:
    """CPU seconds each process of the stack (and this benchmark) spent during a run, and
    what the rest of the machine used meanwhile, in cores."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "benchmark": os.getpid()}
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.seconds: dict[str, float] = {}

    def _each(self) -> dict[str, float]:
        each = {name: _tree_cpu([pid]) for name, pid in self.pids.items() if name != "benchmark"}
        # This process alone: the stack's processes are its children.
        own = psutil.Process().cpu_times()
        return {**each, "benchmark": own.user + own.system}

    def __enter__(self) -> CpuWatch:
        self.start = (time.monotonic(), _busy_jiffies() / self.ticks, self._each())
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self.start[0]
        machine = _busy_jiffies() / self.ticks - self.start[1]
        self.seconds = {name: cpu - self.start[2][name] for name, cpu in self._each().items()}
        ours = sum(self.seconds.values())
        self.foreign_cores = max(0.0, machine - ours) / wall if wall > 0 else 0.0


class MemoryWatch:
    """The highest resident memory of each process (and its children) while it runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak_mb: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for name, pid in self.pids.items():
                self.peak_mb[name] = max(self.peak_mb[name], _tree_rss_mb(pid))

    def stop(self) -> dict[str, dict[str, float | None]]:
        """Per process: the peak sampled while the benchmark ran, and the kernel's high-water
        mark (VmHWM) since it started, loading included."""
        self._stop.set()
        self._thread.join()
        return {
            name: {"peak_rss_mb": round(self.peak_mb[name], 1), "vm_hwm_mb": _vm_hwm_mb(pid)}
            for name, pid in self.pids.items()
        }


def _tree_rss_mb(pid: int) -> float:
    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
        return float(sum(m.memory_info().rss for m in members)) / 2**20
    except psutil.Error:
        return 0.0


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
