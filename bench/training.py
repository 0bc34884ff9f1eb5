"""How long `rasa train` takes from nothing, measured on demand and recorded between runs.

A training takes minutes, so `make bench` times it only with --train and otherwise shows the
last recorded time (reports/training.json), marked as such.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import tempfile
import time
from typing import Any

from bench.machine import machine
from komekshi.core.settings import ROOT
from tools.dev.stack import BIN

REPORTS = ROOT / "reports"
TRAINING_RECORD = REPORTS / "training.json"


def measure_training() -> dict[str, Any]:
    """Time `rasa train` of the model, as `make train` runs it, into a temporary directory.

    Rasa keeps what it trained in a cache (.rasa/cache) and reuses what did not change; the
    time here is of a training from nothing (an empty cache of its own), as on a new machine
    or after a change of the pipeline."""
    build = ROOT / "build"
    if not (build / "domain.yml").exists():
        raise SystemExit("build/ is missing: run `make train` once first")
    with (
        tempfile.TemporaryDirectory(prefix="bench-train-") as out,
        tempfile.TemporaryDirectory(prefix="bench-train-cache-") as cache,
    ):
        command = [
            str(BIN / "rasa"), "train", "--data", "nlu_data", str(build / "nlu"),
            "--domain", str(build / "domain.yml"), "--config", "config.yml",
            "--out", out, "--fixed-model-name", "komekshi",
        ]  # fmt: skip
        print("timing `rasa train` (a few minutes) …", flush=True)
        started = time.monotonic()
        subprocess.run(
            command,
            cwd=ROOT,
            check=True,
            env={**os.environ, "RASA_CACHE_DIRECTORY": cache, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
    record = {
        "seconds": round(seconds, 1),
        "cache": "none (trained from nothing)",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    REPORTS.mkdir(exist_ok=True)
    TRAINING_RECORD.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return {**record, "source": "measured in this run"}


def recorded_training() -> dict[str, Any]:
    if not TRAINING_RECORD.exists():
        return {"seconds": None, "source": "not measured: run `make bench BENCH_ARGS=--train`"}
    record: dict[str, Any] = json.loads(TRAINING_RECORD.read_text(encoding="utf-8"))
    return {**record, "source": f"recorded on {record.get('measured_at')}, not measured now"}
