"""Where a running process spends its time: py-spy samples, grouped by what they are doing.

`make bench` (with --profile) samples the Rasa server and the action server while they are
under load and reports, per process, the share of its busy samples that each part of the
turn took: the NLU components, the call to the action server, the tracker and lock stores,
the register search. py-spy is not part of the install (`pip install py-spy` into .venv);
without it, profiling is skipped and the report says so.

A sample is *idle* when the process waits (the event loop polling its sockets); the shares
are of the other, *busy*, samples. With uvloop the loop is native code, so py-spy shows an
idle Sanic server as its `serve` frame with nothing above it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

# First matching rule wins: a stack is counted once, under its most specific part.
RASA_PARTS: tuple[tuple[str, str], ...] = (
    ("NLU: e5 sentence featurizer", "SentenceEmbeddingFeaturizer"),
    ("NLU: DIET", "DIETClassifier.process"),
    ("NLU: CountVectorsFeaturizer", "CountVectorsFeaturizer"),
    ("NLU: tokenizer (spaCy, pymorphy3)", "SpacyLemmaTokenizer"),
    ("NLU: language detector", "LanguageDetector"),
    ("NLU: other components", "_parse_message_with_graph"),
    ("action server call: response check (jsonschema)", "_validate_action_result"),
    ("action server call: request", "RemoteAction"),
    ("dialogue policies", "_predict_next_with_tracker"),
    ("tracker store: save", "TrackerStore.save"),
    ("tracker store: retrieve", "TrackerStore.retrieve"),
    ("lock store (Redis)", "lock_store.py"),
    ("responses", "NaturalLanguageGenerator"),
    ("REST channel and payload", "komekshi/rasa_server/channel.py"),
)
ACTION_PARTS: tuple[tuple[str, str], ...] = (
    ("register search: e5 query embedding", "Embedder.encode"),
    ("register search: character n-grams and ranking", "_PhraseIndex.best"),
    ("register: other", "komekshi/knowledge/register.py"),
    ("actions: other", "actions/"),
    ("rasa-sdk: request and tracker parsing", "rasa_sdk"),
)
# The processes `make bench --profile` samples.
PROFILED = {"rasa": RASA_PARTS, "actions": ACTION_PARTS}
# Long enough for any run: sampling stops early when `finish` stops it.
LONGEST_SECONDS = 600
_IDLE_LEAVES = (
    "select (selectors.py",
    "poll (multiprocessing/popen_fork.py",  # Rasa's first process, waiting on its workers
    "serve (sanic/server/runners.py",
    "wait (threading.py",
    "get (queue.py",
)


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH; None when not installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Start sampling `pid` and its children (Rasa's workers) for `seconds` into `out` (raw
    collapsed stacks); None without py-spy. Wait on the returned process before reading `out`."""
    executable = py_spy()
    if executable is None:
        return None
    return subprocess.Popen(
        [executable, "record", "--pid", str(pid), "--duration", str(int(seconds)),
         "--rate", "100", "--format", "raw", "--output", str(out), "--idle", "--nonblocking",
         "--subprocesses"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarize(raw: Path, parts: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """Busy share of each part, best first, from py-spy's raw output."""
    total = idle = 0
    shares: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        if any(leaf in frames[-1] for leaf in _IDLE_LEAVES):
            idle += count
            continue
        part = next((name for name, pattern in parts if pattern in stack), "other")
        shares[part] += count
    busy = total - idle
    return {
        "samples": total,
        "busy_share": round(busy / total, 3) if total else 0.0,
        "parts": {name: round(n / busy, 3) for name, n in shares.most_common()} if busy else {},
    }


Spies = list[tuple[str, Path, subprocess.Popen[bytes]]]


def start(pids: dict[str, int], work: Path) -> Spies:
    """Start sampling the PROFILED processes of a stack (`pids` by name), into files under
    `work`; none without py-spy."""
    spies: Spies = []
    for name in PROFILED:
        out = work / f"{name}.pyspy"
        spy = record(pids[name], LONGEST_SECONDS, out)
        if spy is not None:
            spies.append((name, out, spy))
    time.sleep(1.0)
    return spies


def finish(spies: Spies) -> dict[str, object]:
    """Stop the sampling and summarise what each process's time went to."""
    found: dict[str, object] = {}
    for name, out, spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
        spy.wait(60)
        if out.exists():
            found[name] = summarize(out, PROFILED[name])
    return found
