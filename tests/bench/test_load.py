"""The load benchmark's own logic (bench/: its messages, runs, report and CPU accounting);
`make bench` runs the benchmark itself."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from typing import Any

from bench.citizens import schedule
from bench.messages import HANDOFF_KINDS, Messages, Question, questions
from bench.report import check_targets
from bench.runs import percentile
from bench.usage import CpuWatch


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_every_message_is_sent_once_and_all_differ() -> None:
    messages = Messages(questions(), seed=1)
    texts = messages.take(3000)
    assert len(texts) == 3000
    assert len({t.lower() for t in texts}) == 3000
    assert all(t.strip() for t in texts)


def test_both_languages_are_in_the_mix() -> None:
    found = questions()
    assert {q.language for q in found} == {"kk", "ru"}
    assert sum(q.kind == "service" for q in found) > 100
    assert any(q.kind in HANDOFF_KINDS for q in found)


def test_a_variant_keeps_the_question_and_its_language() -> None:
    messages = Messages([Question("ЖК қалай аламын", "kk", "service")], seed=0)
    texts = messages.take(6)
    assert texts[0] == "ЖК қалай аламын"
    assert all("ЖК қалай аламын" in t or "жК қалай аламын" in t for t in texts)
    assert not any(word in " ".join(texts) for word in ("пожалуйста", "здравствуйте"))


def test_targets_are_checked_against_the_runs() -> None:
    def run(load: str, p95: float, rate: float, errors: int) -> dict[str, Any]:
        return {
            "path": "REST",
            "load": load,
            "latency_ms": {"p95": p95},
            "messages_per_second": rate,
            "errors": errors,
        }

    report = {
        "runs": [run("sequential", 90.0, 10.0, 0), run("50 concurrent", 1500.0, 31.0, 0)],
        "memory": {"rasa": {"peak_rss_mb": 2100.0, "vm_hwm_mb": 2300.0}},
    }
    checks = check_targets(report)
    assert checks["rest_sequential_p95_ms"]["met"] is True
    assert checks["rest_50_messages_per_second"]["met"] is True
    assert checks["rest_50_p95_ms"]["met"] is False
    assert checks["rest_50_errors"]["met"] is True
    assert checks["rasa_peak_rss_mb"] == {"target": 3072.0, "measured": 2300.0, "met": True}


def test_the_paced_run_is_judged_when_there_is_one() -> None:
    """Fifty citizens writing at 33 messages/s, not the saturated closed loop, meet the
    throughput and latency targets."""
    closed = {
        "path": "REST",
        "load": "50 concurrent",
        "latency_ms": {"p95": 1400.0},
        "messages_per_second": 60.0,
        "errors": 0,
    }
    paced = {
        "path": "REST",
        "load": "50 conversations, 33 msg/s offered",
        "offered_per_second": 33.0,
        "latency_ms": {"p95": 150.0},
        "messages_per_second": 29.5,
        "errors": 0,
    }
    checks = check_targets({"runs": [closed, paced], "memory": {}})
    assert checks["rest_50_p95_ms"]["measured"] == 150.0
    assert checks["rest_50_messages_per_second"] == {
        "target": 30.0,
        "measured": 29.5,
        "met": False,
    }


def test_paced_arrivals_are_random_moments_within_the_window() -> None:
    due = schedule(conversations=50, rate=33.0, seconds=30.0, seed=4)
    assert len(due) == 990
    assert due == sorted(due)
    assert all(0.0 <= at < 30.0 for at, _ in due)
    assert {conversation for _, conversation in due} == set(range(50))
    # Poisson, not a metronome: some messages come close together, and the same seed
    # gives the same run.
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(due)]
    mean = 30.0 / 990
    assert min(gaps) < 0.1 * mean and max(gaps) > 3 * mean
    assert schedule(50, 33.0, 30.0, seed=4) == due


def test_the_benchmarks_own_cpu_leaves_out_the_stack_it_started() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with CpuWatch({"child": busy.pid}) as watch:
            time.sleep(1.0)
    finally:
        busy.kill()
        busy.wait()
    assert watch.seconds["child"] > 0.5
    assert watch.seconds["benchmark"] < 0.2
