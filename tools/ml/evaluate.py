"""`make evaluate`: what citizens get, scored end to end on the held-out set.

Every held-out message (evaluation/heldout/messages/) is sent, as a new conversation, to the
REST channel of a running stack (the trained model and the action server, as citizens reach
them), and every held-out conversation (evaluation/heldout/conversations/) turn by turn; the
answer each turn reports (`custom.answer`, komekshi/rasa_server/channel.py) is scored against
the label (tools/ml/heldout.py). Writes `reports/evaluation.json` (every number, and the gates
of quality.yml with pass or fail), `reports/evaluation.md` (the same as tables),
`reports/answer_errors.csv` (every wrong answer, to study) and `reports/confusion_matrix.png`
(between services). The intent-level diagnostic of the old evaluation is `python -m
tools.ml.evaluate_intents`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from komekshi.core.settings import ROOT, quality
from komekshi.core.vocabulary import class_of
from komekshi.knowledge.content import Content
from tools.dev.stack import Stack, free_port_settings
from tools.ml.heldout import (
    Conversation,
    Covers,
    Expected,
    Scored,
    load_conversations,
    load_messages,
    score,
    share,
)

REPORTS = ROOT / "reports"
# Conversations sent at once: enough to keep both Rasa workers and the actions busy.
CONCURRENCY = 8
# A service is reached in a language when at least this many of its four held-out questions
# lead to its card, first or by a button offered.
REACHED = 3


async def _turn(
    client: httpx.AsyncClient, url: str, sender: str, expected: Expected, covers: Covers
) -> Scored:
    response = await client.post(url, json={"sender": sender, "message": expected.text})
    response.raise_for_status()
    replies: list[dict[str, Any]] = response.json()
    payload: dict[str, Any] = next((r["custom"] for r in replies if r.get("custom")), {})
    reply = "\n".join(str(r.get("text") or "") for r in replies)
    return score(expected, payload, reply, covers)


async def converse(
    url: str,
    messages: list[Expected],
    conversations: list[Conversation],
    covers: Covers,
    concurrency: int = CONCURRENCY,
) -> tuple[list[Scored], list[list[Scored]]]:
    """Send every message as its own conversation, and every conversation turn by turn."""
    stamp = dt.datetime.now(dt.UTC).strftime("%H%M%S")
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(index: int, expected: Expected) -> Scored:
            async with gate:
                return await _turn(client, url, f"eval-{stamp}-m{index}", expected, covers)

        async def dialogue(index: int, conversation: Conversation) -> list[Scored]:
            async with gate:
                sender = f"eval-{stamp}-c{index}"
                return [await _turn(client, url, sender, t, covers) for t in conversation.turns]

        single = await asyncio.gather(*(one(i, m) for i, m in enumerate(messages)))
        multi = await asyncio.gather(*(dialogue(i, c) for i, c in enumerate(conversations)))
    return list(single), list(multi)


def _group(scored: list[Scored]) -> dict[str, Any]:
    return {
        "messages": len(scored),
        "right_first": share(s.right_first for s in scored),
        "right_among_offered": share(s.right_offered for s in scored),
    }


def _recall(scored: list[Scored], kind: str) -> float:
    return share(s.right_first for s in scored if kind in s.expected.kinds)


def _topic(label: str) -> str:
    """A held-out label as the model's class it names (`service:x` → `ask_service/x`)."""
    kind, _, key = label.partition(":")
    return class_of(kind, key) if kind in ("service", "faq", "situation") else (key or kind)


def per_answer(single: list[Scored]) -> dict[str, dict[str, float]]:
    """F1 of each answer a citizen can get, first answer against the label's first answer."""
    wanted = Counter(_topic(s.expected.expect[0]) for s in single)
    given = Counter(_topic(s.got) for s in single if s.got)
    hits = Counter(_topic(s.expected.expect[0]) for s in single if s.right_first)
    scores = {}
    for topic, support in wanted.items():
        recall = hits[topic] / support
        precision = hits[topic] / given[topic] if given[topic] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[topic] = {"f1": round(f1, 3), "support": support}
    return scores


def service_reach(single: list[Scored]) -> dict[str, int]:
    """How many of each service's held-out questions in a language reach its card, first or
    by a button offered: `service (language)` → how many."""
    reached: dict[str, int] = {}
    for scored in single:
        label = scored.expected.expect[0]
        if label.startswith("service:"):
            key = f"{label.removeprefix('service:')} ({scored.expected.language})"
            reached[key] = reached.get(key, 0) + scored.right_offered
    return dict(sorted(reached.items()))


def metrics(single: list[Scored], multi: list[list[Scored]]) -> dict[str, Any]:
    """Every number of the evaluation, and the gates of quality.yml with their verdict."""
    turns = [s for conversation in multi for s in conversation]
    every = single + turns
    alarms = [s for s in every if s.got == "emergency"]
    services = [s for s in single if "service" in s.expected.kinds]
    reach = service_reach(single)
    confusion = Counter(
        (s.expected.expect[0], s.got) for s in services if not s.right_first
    ).most_common(40)
    result: dict[str, Any] = {
        "messages": len(single),
        "conversations": len(multi),
        "turns": len(turns),
        **_group(single),
        "by_language": {lang: _group([s for s in single if s.expected.language == lang])
                        for lang in ("kk", "ru")},
        "by_script": {script: _group([s for s in single if s.expected.script == script])
                      for script in ("cyrillic", "latin_or_mixed")},
        "long": _group([s for s in single if s.expected.long]),
        "typos": _group([s for s in single if s.expected.typos]),
        "services": _group(services),
        "out_of_scope_recall": _recall(single, "out_of_scope"),
        "handoff_recall": _recall(single, "handoff"),
        "emergency_recall": _recall(every, "emergency"),
        "emergency_precision": share("emergency" in s.expected.kinds for s in alarms)
        if alarms else 1.0,
        "reply_language": share(s.language == s.expected.language for s in every),
        "conversations_right": share(all(s.right_fact for s in c) for c in multi),
        "turns_right": share(s.right_fact for s in turns),
        "follow_ups": sum(s.follow_up for s in turns),
        "follow_ups_right": share(s.right_fact for s in turns if s.follow_up),
        "per_intent": per_answer(single),
        "services_short": {key: hits for key, hits in reach.items() if hits < REACHED},
        "service_confusions": [
            {"expected": expected, "got": got, "count": count}
            for (expected, got), count in confusion
        ],
    }  # fmt: skip
    observed = {
        "right_first": result["right_first"],
        "right_first_kk": result["by_language"]["kk"]["right_first"],
        "right_first_latin_or_mixed": result["by_script"]["latin_or_mixed"]["right_first"],
        "right_first_long": result["long"]["right_first"],
        "right_first_typos": result["typos"]["right_first"],
        "right_among_offered": result["right_among_offered"],
        "out_of_scope_recall": result["out_of_scope_recall"],
        "handoff_recall": result["handoff_recall"],
        "reply_language": result["reply_language"],
        "emergency_recall": result["emergency_recall"],
        "emergency_precision": result["emergency_precision"],
        "conversations_right": result["conversations_right"],
        "follow_ups_right": result["follow_ups_right"],
        "services_reached": 1 - len(result["services_short"]) / max(1, len(reach)),
    }
    settings = quality()["evaluation"]
    result["gates"] = {
        name: {
            "gate": gate,
            "target": settings["targets"][name],
            "observed": observed[name],
            "passed": observed[name] >= gate,
            "reached": observed[name] >= settings["targets"][name],
        }
        for name, gate in settings["gates"].items()
    }
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# What citizens get: the held-out set end to end ({result['messages']} messages, "
        f"{result['conversations']} conversations of {result['turns']} turns)",
        "",
        f"Model: `{result.get('model', '')}`, {result.get('date', '')}.",
        "",
        "| measure | observed | gate (`make test`) | | target | |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {gate['observed']:.1%} | {gate['gate']:.0%} | "
            f"{'pass' if gate['passed'] else '**FAIL**'} | {gate['target']:.0%} | "
            f"{'reached' if gate['reached'] else 'not yet'} |"
            for name, gate in result["gates"].items()
        ),
        "",
        "| messages | count | right first | right among offered |",
        "| --- | --- | --- | --- |",
    ]
    groups = [("all", result), ("services", result["services"]),
              ("long (40+ words)", result["long"]), ("typos, no Kazakh letters", result["typos"]),
              *((f"language {k}", v) for k, v in result["by_language"].items()),
              *((f"script {k}", v) for k, v in result["by_script"].items())]  # fmt: skip
    lines += [
        f"| {name} | {g['messages']} | {g['right_first']:.1%} | {g['right_among_offered']:.1%} |"
        for name, g in groups
    ]
    lines += [
        "",
        f"Conversations right from start to end: {result['conversations_right']:.1%}; turns "
        f"right: {result['turns_right']:.1%}; one-fact follow-ups ({result['follow_ups']}) "
        f"answered with the asked fact about the right subject: {result['follow_ups_right']:.1%}.",
        "",
        f"Services that fewer than {REACHED} of their four held-out questions in a language "
        "reach: "
        + (
            ", ".join(f"{name}: {hits} of 4" for name, hits in result["services_short"].items())
            or "none"
        )
        + ".",
        "",
        "Services most often confused (expected → got):",
        "",
        "| expected | got | times |",
        "| --- | --- | --- |",
        *(f"| {c['expected']} | {c['got']} | {c['count']} |" for c in result["service_confusions"]),
        "",
        "![confusion between services](confusion_matrix.png)",
    ]
    return "\n".join(lines) + "\n"


def confusion_png(scored: list[Scored], path: Path) -> None:
    """Expected against got, for the held-out messages the bot got wrong (services)."""
    # matplotlib takes a second to import: only the report's picture needs it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = [(s.expected.expect[0], s.got) for s in scored if not s.right_first]
    labels = sorted({label for pair in wrong for label in pair})[:60]
    index = {label: i for i, label in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for expected, got in wrong:
        if expected in index and got in index:
            grid[index[expected]][index[got]] += 1
    figure, axes = plt.subplots(figsize=(16, 14))
    axes.imshow(grid, cmap="Reds")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    axes.set_yticks(range(len(labels)), labels, fontsize=6)
    axes.set_title("Wrong answers: expected (rows) against got (columns)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(result: dict[str, Any], single: list[Scored], multi: list[list[Scored]],
          out: Path) -> None:  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "evaluation.md").write_text(markdown(result), encoding="utf-8")
    confusion_png(single, out / "confusion_matrix.png")
    rows = [("message", s) for s in single] + [
        (f"conversation {i}", s) for i, c in enumerate(multi) for s in c
    ]
    with (out / "answer_errors.csv").open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["where", "text", "language", "expected", "fact", "got", "got fact",
                         "reply language", "reply"])  # fmt: skip
        for where, s in rows:
            right = s.right_first if where == "message" else s.right_fact
            if not right or s.language != s.expected.language:
                writer.writerow([where, s.expected.text, s.expected.language,
                                 " | ".join(s.expected.expect), s.expected.fact or "", s.got,
                                 s.fact or "", s.language or "", s.reply[:300]])  # fmt: skip


def evaluate(url: str, covers: Covers) -> tuple[dict[str, Any], list[Scored], list[list[Scored]]]:
    """Score the held-out set against a running REST channel."""
    single, multi = asyncio.run(converse(url, load_messages(), load_conversations(), covers))
    return metrics(single, multi), single, multi


def covers_of_content() -> Covers:
    """The services each FAQ topic's answer covers, from the editors' content."""
    return Content.load().covers()


def with_stack(model: Path, run: Callable[[str], Any]) -> Any:
    """Run `run(webhook url)` against a stack of its own: Redis, the actions, Rasa."""
    environ = {**os.environ, **free_port_settings()}
    environ.pop("REDIS_URL", None)
    with (
        tempfile.TemporaryDirectory() as run_dir,
        Stack(environ, model, Path(run_dir), parts=("redis", "actions", "rasa")) as stack,
    ):
        return run(f"{stack.config.rasa_url}/webhooks/rest/webhook")


def main() -> None:
    parser = argparse.ArgumentParser(description="Score what citizens get on the held-out set.")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "komekshi.tar.gz")
    parser.add_argument("--url", help="the REST webhook of a running stack (else one is started)")
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args()
    covers = covers_of_content()
    if args.url:
        result, single, multi = evaluate(args.url, covers)
    else:
        result, single, multi = with_stack(args.model, lambda url: evaluate(url, covers))
    result["model"] = str(args.model)
    result["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write(result, single, multi, args.out)
    print(markdown(result).split("\n\nConversations")[0])
    print(f"\nWrote {args.out}/evaluation.md, evaluation.json, answer_errors.csv")
    failed = [name for name, gate in result["gates"].items() if not gate["passed"]]
    if failed:
        raise SystemExit(f"Below the gates of quality.yml: {', '.join(failed)}")


if __name__ == "__main__":
    main()
