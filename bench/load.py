"""`make bench`: latency, throughput and memory of the whole stack, on this machine.

Starts its own stack (Redis, action server, Rasa server, Bot API emulator, bridge) on free
ports, as the end-to-end tests do, and plays citizens against it:

- through the REST channel (`POST /webhooks/rest/webhook`, what the bridge calls), and
- through the Telegram bridge, via the emulator's client API: a citizen sends a message and
  the clock runs until the bot's reply reaches the chat,

first one message at a time (sequential), then with 50 and with 200 conversations at once.
In those runs each conversation is a closed loop: a citizen sends the next message as soon as
the bot's reply came (through the bridge, after 50 ms more for a second reply), so they
measure the most the stack sustains, and how long messages queue when it is saturated.

Citizens do not write that way: they read the answer and think. The *paced* run (REST, 50
conversations) is an open loop, as load tests of services are: 50 conversations send
`--rate` messages a second between them (33 by default, a tenth above the target of 30),
each at a random moment (Poisson arrivals over `--paced-seconds`), whether or not earlier
replies came, and each message's latency runs from the moment it was due. It shows whether
the stack keeps up with that traffic, and how long a citizen then waits.

Messages are the held-out questions of evaluation/heldout/ (both languages, all scripts), each
sent once and every one different (small variations: a polite opening, a question mark…),
so no cache in Rasa or the action server answers from memory. Through the bridge, messages
whose intent hands the conversation to a person (asking for an operator, complaints,
out-of-scope questions, yes/no answers) are left out: a conversation with a person stops
going through Rasa; one handed off anyway stops there and is counted apart, not as an error.

Writes reports/bench.json and prints a table. Training time is measured only with --train
(`make bench BENCH_ARGS=--train`: `rasa train` into a temporary directory, a few minutes on
two cores) and recorded; otherwise the last recorded time is shown, marked as such.
--profile also samples the Rasa server and the action server with py-spy during the
50-conversation REST run and reports what their time goes to (bench/profile.py).

This module runs the benchmark; the messages (bench/messages.py), the citizens on both paths
(bench/citizens.py), what a run measured (bench/runs.py, bench/usage.py), the training time
(bench/training.py) and the report (bench/report.py, bench/machine.py) have modules of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import profile
from bench.citizens import SETTLE, play, sequential
from bench.machine import machine, reference_ms
from bench.messages import HANDOFF_KINDS, Messages, questions
from bench.report import check_targets, commit, model_info, table
from bench.runs import Run
from bench.training import REPORTS, measure_training, recorded_training
from bench.usage import MemoryWatch
from komekshi.core.settings import ROOT
from tools.dev.stack import Stack, free_port, free_port_settings

MODEL = ROOT / "models" / "komekshi.tar.gz"
OPERATORS_CHAT = -1001


# Messages per conversation at each load: (conversations, messages each).
PLAN = {1: (20, 5), 50: (50, 4), 200: (200, 3)}
QUICK_PLAN = {1: (10, 3), 50: (50, 2), 200: (200, 1)}
# The paced run: conversations, as in the target of 30 messages/s from 50 conversations.
PACED_CONVERSATIONS = 50


def _environ() -> dict[str, str]:
    """The stack's settings: ports of its own, the emulator for Telegram, an embedded Redis."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": "",
        "EMULATOR_PORT": str(free_port()),
        "OPERATORS_CHAT_ID": str(OPERATORS_CHAT),
        "METRICS_PORT": str(free_port()),
        "REDIS_URL": "",
        **free_port_settings(),
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Start a stack, play every run against it, and return the report."""
    loads = [int(n) for n in args.loads.split(",")]
    plan = QUICK_PLAN if args.quick else PLAN
    reference = {"start": reference_ms()}
    training = measure_training() if args.train else recorded_training()
    everything = questions()
    rest_messages = Messages(everything, seed=1)
    bridge_messages = Messages([q for q in everything if q.kind not in HANDOFF_KINDS], seed=2)
    # Texts either path sends are never sent again by the other.
    bridge_messages.used = rest_messages.used
    warmup = [f"{q.text} ..." for q in everything[:16]]  # never among the measured ones
    with tempfile.TemporaryDirectory(prefix="komekshi-bench-") as run_dir:
        parts = ("redis", "actions", "rasa") if args.no_bridge else None
        stack = Stack(_environ(), args.model, Path(run_dir), parts=parts)
        started = time.monotonic()
        with stack:
            startup = time.monotonic() - started
            pids = stack.pids()
            memory = MemoryWatch(pids)
            memory.start()
            # Load what loads lazily before timing, in every Rasa worker: the warm-up's
            # conversations come at once, so that each worker takes some.
            asyncio.run(play(Run("REST", len(warmup), 1), [[w] for w in warmup], stack, 10_000))
            if not args.no_bridge:
                asyncio.run(play(Run("bridge", 1, 2), [warmup[:2]], stack, 10_000))
            runs: list[Run] = []
            profiles: dict[str, Any] = {}
            paths = ["REST"] if args.no_bridge else ["REST", "bridge"]
            offset = 0
            for path in paths:
                source = rest_messages if path == "REST" else bridge_messages
                for load in loads:
                    count, each = plan.get(load, (load, 3))
                    conversations = [source.take(each) for _ in range(count)]
                    run = Run(path, 1 if load == 1 else count, each)
                    print(f"{path}: {run.load}, {count} × {each} messages …", flush=True)
                    if load == 1:
                        sequential(run, conversations, stack, offset)
                    else:
                        profiled = args.profile and path == "REST" and count == 50
                        spies = profile.start(pids, Path(run_dir)) if profiled else []
                        asyncio.run(play(run, conversations, stack, offset))
                        profiles.update(profile.finish(spies))
                    offset += count
                    runs.append(run)
                if path == "REST" and args.rate > 0:
                    seconds = args.paced_seconds / (3 if args.quick else 1)
                    run = Run("REST", PACED_CONVERSATIONS, 0, rate=args.rate, window=seconds)
                    texts = source.take(round(args.rate * seconds))
                    run.messages_each = round(len(texts) / PACED_CONVERSATIONS)
                    print(f"REST: {run.load}, {len(texts)} messages over {seconds:g} s …")
                    asyncio.run(play(run, [texts], stack, offset))
                    offset += PACED_CONVERSATIONS
                    runs.append(run)
            peaks = memory.stop()
            reference["end"] = reference_ms()
        logs = _keep_logs(runs, stack)
    summaries = [run.summary() for run in runs]
    wall = sum(run.seconds for run in runs)
    foreign = sum(run.foreign_cpu_cores * run.seconds for run in runs) / wall if wall else 0.0
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "python_reference_ms": reference,
        "commit": commit(),
        "model": model_info(args.model),
        "method": {
            "loop": "closed: each conversation sends its next message when the reply came",
            "paced": (
                f"open: {PACED_CONVERSATIONS} conversations, {args.rate:g} msg/s offered at "
                f"Poisson moments over {args.paced_seconds:g} s; latency from the due moment"
            )
            if args.rate > 0
            else None,
            "messages": "held-out questions of evaluation/heldout, each sent once, all different",
            "bridge_settle_seconds": SETTLE,
            "quick": bool(args.quick),
        },
        "rasa_workers": int(stack.env["SANIC_WORKERS"]),
        "stack_startup_seconds": round(startup, 1),
        "runs": summaries,
        "memory": peaks,
        "training": training,
        "profile": profiles
        or ("not run (--profile)" if not args.profile else "py-spy is not installed"),
        "other_processes_cpu_cores": round(foreign, 2),
        "logs": logs,
    }
    report["targets"] = check_targets(report)
    return report


def _keep_logs(runs: list[Run], stack: Stack) -> str | None:
    """The processes' logs, kept in reports/bench-logs/ when a turn failed (else dropped)."""
    if not any(not turn.ok for run in runs for turn in run.turns):
        return None
    kept = REPORTS / "bench-logs"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(stack.logs, kept)
    return str(kept.relative_to(ROOT))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark Kömekshi on this machine.")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, default=REPORTS / "bench.json")
    parser.add_argument("--train", action="store_true", help="also time `rasa train`")
    parser.add_argument("--train-only", action="store_true", help="only time `rasa train`")
    parser.add_argument("--profile", action="store_true", help="py-spy the 50-conversation run")
    parser.add_argument("--quick", action="store_true", help="fewer messages (a smoke run)")
    parser.add_argument("--no-bridge", action="store_true", help="only the REST channel")
    parser.add_argument(
        "--loads", default="1,50,200", help="conversations at once, 1 meaning sequential"
    )
    parser.add_argument(
        "--rate", type=float, default=33.0, help="messages/s of the paced run (0: no paced run)"
    )
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.train_only:
        print(json.dumps(measure_training(), indent=2))
        return
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `make train` first")
    report = benchmark(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(table(report))
    for name, check in report["targets"].items():
        verdict = {True: "met", False: "MISSED", None: "not measured"}[check["met"]]
        print(f"target {name}: {check['measured']} (target {check['target']}): {verdict}")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
