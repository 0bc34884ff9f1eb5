"""NLU speed: parse latency of the trained model and the time it takes to train.

`python -m bench.nlu` parses every distinct held-out message (evaluation/heldout/, over 2,000
in Kazakh and Russian) with the model loaded in this process, one at a time as the Rasa server
does, after a short warm-up; the sentence model's cache is cleared first, so no message is
answered from it. With `--train` it also trains the model into a temporary directory and
times it. Prints a table and writes reports/bench_nlu.json. Target: p95 ≤ 60 ms a parse on
the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import cpu_model
from komekshi.core.embedding import Embedder
from komekshi.core.settings import ROOT
from tools.ml.evaluate_intents import local_parser
from tools.ml.heldout import all_texts

MODEL = ROOT / "models" / "komekshi.tar.gz"
TARGET_P95_MS = 60.0


def messages() -> list[str]:
    """Every distinct held-out text: messages and conversation turns."""
    return list(dict.fromkeys(all_texts()))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def parse_latency(model: Path) -> dict[str, Any]:
    parse = local_parser(model)
    for warm_up in ("сәлеметсіз бе", "здравствуйте", "ЦОН қашан ашылады"):
        parse(warm_up)
    Embedder.forget()
    timings = []
    for text in messages():
        started = time.perf_counter()
        parse(text)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "messages": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "p99_ms": round(_percentile(timings, 0.99), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
        "target_p95_ms": TARGET_P95_MS,
    }


def training_seconds() -> float:
    """`rasa train` of the whole model (NLU and dialogue) from the built data, timed."""
    rasa = str(Path(sys.executable).parent / "rasa")
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [rasa, "train", "--data", "nlu_data", "build/nlu", "--domain", "build/domain.yml",
             "--config", "config.yml", "--out", out, "--force"],
            cwd=ROOT, check=True, capture_output=True,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )  # fmt: skip
        return round(time.monotonic() - started, 1)


def machine() -> dict[str, Any]:
    with open("/proc/meminfo", encoding="utf-8") as file:
        total_kb = int(file.readline().split()[1])
    return {"cpus": os.cpu_count(), "cpu": cpu_model(), "memory_gb": round(total_kb / 2**20, 1)}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--model", type=Path, default=MODEL)
    arguments.add_argument("--train", action="store_true", help="also time a full training")
    arguments.add_argument("--out", type=Path, default=ROOT / "reports" / "bench_nlu.json")
    args = arguments.parse_args()
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parse": parse_latency(args.model),
    }
    if args.train:
        result["training_seconds"] = training_seconds()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    parse = result["parse"]
    print(f"NLU parse, {parse['messages']} distinct messages, one at a time "
          f"({result['machine']['cpus']} CPUs, {result['machine']['cpu']}):")  # fmt: skip
    print("| p50 | p95 | p99 | mean | target p95 |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {parse['p50_ms']} ms | {parse['p95_ms']} ms | {parse['p99_ms']} ms | "
          f"{parse['mean_ms']} ms | ≤ {TARGET_P95_MS:.0f} ms |")  # fmt: skip
    if "training_seconds" in result:
        print(f"Training (rasa train, whole model): {result['training_seconds']} s")
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
