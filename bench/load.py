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
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import itertools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import profile
from komekshi.core.settings import DEV_TOKEN
from komekshi.core.vocabulary import FACT_INTENTS
from tools.dev.stack import BIN, ROOT, Stack, free_port
from tools.ml.heldout import load_messages

REPORTS = ROOT / "reports"
TRAINING_RECORD = REPORTS / "training.json"
MODEL = ROOT / "models" / "komekshi.tar.gz"

# Answers that hand the conversation to a person, or may (an offer the next message
# accepts): left out of the bridge runs, where a handed-off chat no longer reaches Rasa.
HANDOFF_KINDS = frozenset({"handoff", "complaint", "out_of_scope", "language"})
# Intents answered from the register by the action server.
REGISTER_INTENTS = frozenset({"ask_service", "ask_life_situation", *FACT_INTENTS, "ask_variant"})
# A turn with no reply within this long counts as an error.
TIMEOUT = 60.0
# After the first reply through the bridge: how long a citizen waits for a second one.
SETTLE = 0.05
OPERATORS_CHAT = -1001
# Idle connections are dropped before the servers' (Sanic: 5 s) drop them, so that no request
# is written onto a connection the server is closing (an error of the client, not the stack).
KEEPALIVE_SECONDS = 2.0
# Telegram user ids of the benchmark's citizens (private chats: chat id = user id).
FIRST_USER = 7_000_000
TARGETS = {
    "rest_sequential_p95_ms": 120.0,
    "rest_50_messages_per_second": 30.0,
    "rest_50_p95_ms": 1000.0,
    "rest_50_errors": 0,
    "rasa_peak_rss_mb": 3072.0,
}

# Ways citizens start and end the same question; each keeps the message natural.
OPENINGS = {
    "ru": ("здравствуйте, ", "подскажите, ", "скажите пожалуйста, ", "добрый день, ", "а "),
    "kk": ("сәлеметсіз бе, ", "айтыңызшы, ", "көмектесіңізші, ", "қайырлы күн, ", "ал "),
}
ENDINGS = {
    "ru": ("?", " пожалуйста", "??", " спасибо", "!"),
    "kk": ("?", " өтінемін", "??", " рахмет", "!"),
}


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    kind: str  # the kind of answer it must get: service, faq, handoff, …


def questions() -> list[Question]:
    """The held-out messages (evaluation/heldout/), in both languages."""
    return [Question(m.text, m.language, m.expect[0].split(":")[0]) for m in load_messages()]


def variant(question: Question, round_: int) -> str:
    """The `round_`-th way of writing a question: itself, then with an opening or ending."""
    text = question.text.strip()
    if round_ == 0:
        return text
    opening = OPENINGS[question.language][(round_ - 1) % len(OPENINGS["ru"])]
    ending = ENDINGS[question.language][(round_ - 1) % len(ENDINGS["ru"])]
    if round_ % 2:
        return opening + text[:1].lower() + text[1:]
    return text.rstrip(".!?") + ending


class Messages:
    """An endless supply of different realistic messages, none ever given twice."""

    def __init__(self, pool: Sequence[Question], seed: int) -> None:
        self.pool = list(pool)
        random.Random(seed).shuffle(self.pool)
        self.used: set[str] = set()
        self._next = self._generate()

    def _generate(self) -> Iterator[str]:
        for round_ in itertools.count():
            for question in self.pool:
                text = variant(question, round_)
                if text.lower() not in self.used:
                    self.used.add(text.lower())
                    yield text

    def take(self, count: int) -> list[str]:
        return list(itertools.islice(self._next, count))


@dataclass
class Turn:
    latency: float
    ok: bool
    error: str = ""
    intent: str = ""
    replies: int = 0


@dataclass
class Run:
    """One path at one load: every turn, and how long the whole run took."""

    path: str
    conversations: int
    messages_each: int
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0
    handed_off: int = 0
    foreign_cpu_cores: float = 0.0
    # CPU seconds of each process during the run.
    cpu_seconds: Counter[str] = field(default_factory=Counter)
    load_average: float = 0.0
    # Paced (open-loop) runs: messages a second offered, and the seconds they were sent over.
    rate: float | None = None
    window: float = 0.0

    @property
    def load(self) -> str:
        if self.rate:
            return f"{self.conversations} conversations, {self.rate:g} msg/s offered"
        return "sequential" if self.conversations == 1 else f"{self.conversations} concurrent"

    def summary(self) -> dict[str, Any]:
        latencies = sorted(t.latency * 1000 for t in self.turns if t.ok)
        errors = [t for t in self.turns if not t.ok]
        with_intent = [t for t in self.turns if t.intent]
        register_share = (
            sum(t.intent in REGISTER_INTENTS for t in with_intent) / len(with_intent)
            if with_intent
            else None
        )
        return {
            "path": self.path,
            "load": self.load,
            "conversations": self.conversations,
            "messages_per_conversation": self.messages_each,
            "messages": len(self.turns),
            "ok": len(latencies),
            "errors": len(errors),
            "error_examples": sorted({t.error for t in errors})[:5],
            "handed_off_conversations": self.handed_off,
            "seconds": round(self.seconds, 2),
            "offered_per_second": round(len(self.turns) / self.window, 2) if self.rate else None,
            "messages_per_second": round(len(latencies) / self.seconds, 2) if self.seconds else 0,
            "latency_ms": {
                "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95),
                "p99": percentile(latencies, 99),
                "mean": round(sum(latencies) / len(latencies), 1) if latencies else None,
                "max": round(latencies[-1], 1) if latencies else None,
            },
            "replies_per_message": round(sum(t.replies for t in self.turns) / len(self.turns), 2)
            if self.turns
            else 0,
            "register_share": round(register_share, 2) if register_share is not None else None,
            "cpu_ms_per_message": {
                name: round(seconds * 1000 / len(self.turns), 1)
                for name, seconds in self.cpu_seconds.items()
            }
            if self.turns
            else {},
            "other_processes_cpu_cores": round(self.foreign_cpu_cores, 2),
            "load_average_at_start": round(self.load_average, 2),
        }


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    rank = max(1, -(-len(values) * pct // 100))
    return round(values[int(rank) - 1], 1)


# CPU accounting, to tell how noisy a run was: what the rest of the machine used meanwhile.


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


# The two paths.


async def _rest_conversation(
    client: httpx.AsyncClient, url: str, sender: str, texts: list[str], run: Run
) -> None:
    for text in texts:
        await _rest_turn(client, url, sender, text, run, time.perf_counter())


async def _rest_turn(
    client: httpx.AsyncClient, url: str, sender: str, text: str, run: Run, started: float
) -> None:
    """One message and its reply; the latency runs from `started` (perf_counter)."""
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        response.raise_for_status()
        replies: list[dict[str, Any]] = response.json()
    except (httpx.HTTPError, ValueError) as error:
        run.turns.append(Turn(time.perf_counter() - started, False, type(error).__name__))
        return
    latency = time.perf_counter() - started
    custom = (replies[-1].get("custom") or {}) if replies else {}
    intent = str((custom.get("intent") or {}).get("name") or "")
    problem = "" if replies else f"no reply to {text!r}"
    run.turns.append(Turn(latency, bool(replies), problem, intent, len(replies)))


def schedule(conversations: int, rate: float, seconds: float, seed: int) -> list[tuple[float, int]]:
    """Poisson arrivals: `rate × seconds` moments, uniform over the window (what a Poisson
    process is, given its count), each for a conversation drawn at random; sorted."""
    draw = random.Random(seed)
    count = round(rate * seconds)
    return sorted((draw.uniform(0, seconds), draw.randrange(conversations)) for _ in range(count))


async def _rest_paced(
    client: httpx.AsyncClient, url: str, run: Run, texts: list[str], offset: int
) -> None:
    """The open loop: every message sent when it is due, replies or not."""
    assert run.rate is not None
    due = schedule(run.conversations, run.rate, run.window, seed=offset)
    start = time.perf_counter()
    turns = []
    for (at, conversation), text in zip(due, texts, strict=False):
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        sender = f"bench-{offset + conversation}"
        turns.append(asyncio.create_task(_rest_turn(client, url, sender, text, run, start + at)))
    await asyncio.gather(*turns)


class BridgeClient:
    """Citizens on the emulator's client API, many conversations over one connection pool."""

    def __init__(self, url: str, connections: int) -> None:
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
        )
        self.http = httpx.AsyncClient(base_url=url, limits=limits, timeout=TIMEOUT + 10)

    async def send(self, user_id: int, first_name: str, text: str) -> None:
        body = {
            "botToken": DEV_TOKEN,
            "from": {"id": user_id, "first_name": first_name, "is_bot": False},
            "chat": {"id": user_id},
            "text": text,
        }
        answer = (await self.http.post("/sendMessage", json=body)).json()
        if not answer.get("ok"):
            raise RuntimeError(f"emulator refused a message: {answer}")

    async def replies(self, chat_id: int, timeout: float) -> list[str]:
        """The bot's new messages to a chat, waiting up to `timeout` for the first."""
        body = {"token": DEV_TOKEN, "chatId": chat_id, "timeout": timeout}
        answer = (await self.http.post("/getBotMessages", json=body)).json()
        return [m.get("text") or "" for m in answer.get("result") or []]


async def _bridge_conversation(
    client: BridgeClient,
    user_id: int,
    texts: list[str],
    run: Run,
    handoff_starts: tuple[str, ...],
    failure_texts: frozenset[str],
) -> None:
    for text in texts:
        started = time.perf_counter()
        try:
            await client.send(user_id, f"Bench{user_id}", text)
            received: list[str] = []
            while not received and (left := started + TIMEOUT - time.perf_counter()) > 0:
                received = await client.replies(user_id, left)
            latency = time.perf_counter() - started
            # A second reply of the same turn comes right after the first.
            while more := await client.replies(user_id, SETTLE):
                received += more
        except (httpx.HTTPError, ValueError, RuntimeError) as error:
            run.turns.append(Turn(time.perf_counter() - started, False, type(error).__name__))
            continue
        if not received:
            run.turns.append(Turn(latency, False, "no reply"))
            continue
        if received[0] in failure_texts:
            run.turns.append(Turn(latency, False, "bridge: Rasa unavailable", replies=1))
            continue
        run.turns.append(Turn(latency, True, replies=len(received)))
        if any(reply.startswith(handoff_starts) for reply in received):
            run.handed_off += 1
            return


def _bridge_texts() -> tuple[tuple[str, ...], frozenset[str]]:
    """Beginnings of the bridge's handoff messages, and its 'Rasa unavailable' apology."""
    from komekshi.knowledge import responses

    loaded = responses.load()
    starts = tuple(
        variation["text"].split("{")[0][:40]
        for name, variations in loaded.items()
        if name.startswith("utter_handoff")
        for variation in variations
        if variation.get("text")
    )
    failures = frozenset(v["text"] for v in loaded["utter_channel_unavailable"])
    return tuple(s for s in starts if s), failures


async def _run(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    pids = {p.name: p.popen.pid for p in stack.processes if p.popen}
    started = time.monotonic()
    with CpuWatch(pids) as cpu:
        run.load_average = os.getloadavg()[0]
        if run.path == "REST":
            url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
            limits = httpx.Limits(
                max_connections=run.conversations + 5, keepalive_expiry=KEEPALIVE_SECONDS
            )
            async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as http:
                if run.rate:
                    await _rest_paced(http, url, run, conversations[0], offset)
                else:
                    await asyncio.gather(
                        *(
                            _rest_conversation(http, url, f"bench-{offset + i}", texts, run)
                            for i, texts in enumerate(conversations)
                        )
                    )
        else:
            handoff_starts, failures = _bridge_texts()
            client = BridgeClient(stack.config.bot_api_url, 2 * len(conversations) + 5)
            try:
                await asyncio.gather(
                    *(
                        _bridge_conversation(
                            client, FIRST_USER + offset + i, texts, run, handoff_starts, failures
                        )
                        for i, texts in enumerate(conversations)
                    )
                )
            finally:
                await client.http.aclose()
    run.seconds = time.monotonic() - started
    run.foreign_cpu_cores = cpu.foreign_cores
    run.cpu_seconds.update(cpu.seconds)


def _sequential(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    """One message at a time: the conversations one after the other."""
    total = Run(run.path, 1, run.messages_each)
    for number, texts in enumerate(conversations):
        asyncio.run(_run(total, [texts], stack, offset + number))
        run.turns += total.turns
        run.seconds += total.seconds
        run.handed_off += total.handed_off
        run.cpu_seconds.update(total.cpu_seconds)
        total.cpu_seconds.clear()
        run.foreign_cpu_cores += total.foreign_cpu_cores * total.seconds
        run.load_average = run.load_average or total.load_average
        total.turns, total.handed_off = [], 0
    run.foreign_cpu_cores = run.foreign_cpu_cores / run.seconds if run.seconds else 0.0


# Training time.


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


# The machine and the report.


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
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


def _model_info(model: Path) -> dict[str, Any]:
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


def _commit() -> str | None:
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


# Messages per conversation at each load: (conversations, messages each).
PLAN = {1: (20, 5), 50: (50, 4), 200: (200, 3)}
QUICK_PLAN = {1: (10, 3), 50: (50, 2), 200: (200, 1)}
# The paced run: conversations, as in the target of 30 messages/s from 50 conversations.
PACED_CONVERSATIONS = 50


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
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
        environ = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "",
            "TELEGRAM_API_URL": "",
            "EMULATOR_PORT": str(free_port()),
            "OPERATORS_CHAT_ID": str(OPERATORS_CHAT),
            "METRICS_PORT": str(free_port()),
            "REDIS_URL": "",
            "EMBEDDED_REDIS_PORT": str(free_port()),
            "RASA_URL": f"http://localhost:{free_port()}",
            "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
        }
        parts = ("redis", "actions", "rasa") if args.no_bridge else None
        stack = Stack(environ, args.model, Path(run_dir), parts=parts)
        started = time.monotonic()
        with stack:
            startup = time.monotonic() - started
            pids = {p.name: p.popen.pid for p in stack.processes if p.popen}
            memory = MemoryWatch(pids)
            memory.start()
            # Load what loads lazily before timing, in every Rasa worker: the warm-up's
            # conversations come at once, so that each worker takes some.
            asyncio.run(_run(Run("REST", len(warmup), 1), [[w] for w in warmup], stack, 10_000))
            if not args.no_bridge:
                asyncio.run(_run(Run("bridge", 1, 2), [warmup[:2]], stack, 10_000))
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
                        _sequential(run, conversations, stack, offset)
                    else:
                        spies = _start_profiles(args, run, pids, Path(run_dir))
                        asyncio.run(_run(run, conversations, stack, offset))
                        profiles.update(_finish_profiles(spies))
                    offset += count
                    runs.append(run)
                if path == "REST" and args.rate > 0:
                    seconds = args.paced_seconds / (3 if args.quick else 1)
                    run = Run("REST", PACED_CONVERSATIONS, 0, rate=args.rate, window=seconds)
                    texts = source.take(round(args.rate * seconds))
                    run.messages_each = round(len(texts) / PACED_CONVERSATIONS)
                    print(f"REST: {run.load}, {len(texts)} messages over {seconds:g} s …")
                    asyncio.run(_run(run, [texts], stack, offset))
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
        "commit": _commit(),
        "model": _model_info(args.model),
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


Spies = list[tuple[str, Path, subprocess.Popen[bytes]]]


def _start_profiles(args: argparse.Namespace, run: Run, pids: dict[str, int], work: Path) -> Spies:
    if not args.profile or run.path != "REST" or run.conversations != 50:
        return []
    # Long enough for the run; py-spy stops early when it is stopped below.
    seconds = 600
    spies: Spies = []
    for name in ("rasa", "actions"):
        out = work / f"{name}.pyspy"
        spy = profile.record(pids[name], seconds, out)
        if spy is not None:
            spies.append((name, out, spy))
    time.sleep(1.0)
    return spies


def _finish_profiles(spies: Spies) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, out, spy in spies:
        spy.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
        spy.wait(60)
        if out.exists():
            parts = profile.RASA_PARTS if name == "rasa" else profile.ACTION_PARTS
            found[name] = profile.summarize(out, parts)
    return found


if __name__ == "__main__":
    main(sys.argv[1:])
