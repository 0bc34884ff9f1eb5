"""The load benchmark's report: the targets it is judged by, the table it prints, and what
identifies the code and the model it measured."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path
from typing import Any

from komekshi.core.settings import ROOT

TARGETS = {
    "rest_sequential_p95_ms": 120.0,
    "rest_50_messages_per_second": 30.0,
    "rest_50_p95_ms": 1000.0,
    "rest_50_errors": 0,
    "rasa_peak_rss_mb": 3072.0,
}


def model_info(model: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with model.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    stamp = dt.datetime.fromtimestamp(model.stat().st_mtime, dt.UTC)
    return {
        "path": str(model.relative_to(ROOT) if model.is_relative_to(ROOT) else model),
        "sha256": digest.hexdigest()[:16],
        "trained_at": stamp.isoformat(timespec="seconds"),
    }


def commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def check_targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    runs = {(r["path"], r["load"]): r for r in report["runs"]}
    sequential = runs.get(("REST", "sequential"))
    # Fifty citizens writing as citizens do (the paced run); the closed loop without it.
    paced = [r for r in report["runs"] if r["path"] == "REST" and r.get("offered_per_second")]
    fifty = paced[0] if paced else runs.get(("REST", "50 concurrent"))
    rasa = report["memory"].get("rasa", {})
    measured: dict[str, Any] = {
        "rest_sequential_p95_ms": sequential["latency_ms"]["p95"] if sequential else None,
        "rest_50_messages_per_second": fifty["messages_per_second"] if fifty else None,
        "rest_50_p95_ms": fifty["latency_ms"]["p95"] if fifty else None,
        "rest_50_errors": fifty["errors"] if fifty else None,
        "rasa_peak_rss_mb": max(filter(None, [rasa.get("peak_rss_mb"), rasa.get("vm_hwm_mb")]))
        if rasa
        else None,
    }
    checks = {}
    for name, target in TARGETS.items():
        value = measured[name]
        at_least = name.endswith("per_second")
        met = None if value is None else (value >= target if at_least else value <= target)
        checks[name] = {"target": target, "measured": value, "met": met}
    return checks


def table(report: dict[str, Any]) -> str:
    lines = [
        "| path | load | messages | errors | msg/s | p50 ms | p95 ms | p99 ms | max ms "
        "| CPU ms a message |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in report["runs"]:
        latency = run["latency_ms"]
        cpu = ", ".join(
            f"{name} {ms:.0f}"
            for name, ms in (run.get("cpu_ms_per_message") or {}).items()
            if name in ("rasa", "actions", "bridge", "emulator") and ms >= 0.5
        )
        lines.append(
            f"| {run['path']} | {run['load']} | {run['messages']} | {run['errors']} "
            f"| {run['messages_per_second']} | {latency['p50']} | {latency['p95']} "
            f"| {latency['p99']} | {latency['max']} | {cpu} |"
        )
    memory = ", ".join(
        f"{name} {max(filter(None, [m['peak_rss_mb'], m['vm_hwm_mb']]), default=0):.0f} MB"
        for name, m in report["memory"].items()
    )
    training = report["training"]
    trained = (
        f"{training['seconds']:.0f} s ({training['source']})"
        if training.get("seconds")
        else training["source"]
    )
    box = report["machine"]
    speed = report.get("python_reference_ms") or {}
    lines += [
        "",
        f"Peak memory (RSS): {memory}",
        f"Training time: {trained}",
        f"Rasa: {report.get('rasa_workers', 1)} worker processes (SANIC_WORKERS)",
        f"Machine speed: a fixed Python loop took {speed.get('start')} ms at the start and "
        f"{speed.get('end')} ms at the end (lower is faster)",
        f"Machine: {box['cpus']} CPUs ({box['cpu_model']}), {box['ram_gb']} GB RAM; "
        f"other processes used {report['other_processes_cpu_cores']} cores on average meanwhile",
    ]
    return "\n".join(lines)
