"""The machine a benchmark runs on, and how fast it runs Python right now.

Numbers of two runs compare only on machines alike, at a similar speed: a shared virtual
machine's speed drifts, so every report says what ran it and how fast (`reference_ms`).
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    """The processor's model name, as /proc/cpuinfo gives it."""
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def reference_ms(repeat: int = 3) -> float:
    """How fast this machine runs Python now: the best of `repeat` timings of a fixed loop,
    in ms. A shared virtual machine's speed drifts (over one evening here a larger loop of
    the kind took from 1.0 to 2.0 s, and Rasa's CPU a message from 24 to 37 ms); runs are
    comparable only at a similar reference."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)
