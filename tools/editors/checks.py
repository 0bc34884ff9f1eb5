"""`make validate`: checks of the editors' content that speak to an editor.

Each finding names the file and line and says what to do, as `path:line: error: …` (training
would fail or the bot would misbehave: fix it) or `path:line: warning: …` (worth a look: two
topics that share a question confuse the model, a register source not checked for months).
Rasa's own `rasa data validate` runs after these, on the built data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from komekshi.core.embedding import Embedder
from komekshi.core.language import LANGUAGES, script_of
from komekshi.core.settings import quality
from komekshi.knowledge.content import CONTENT, Content, iter_questions
from komekshi.knowledge.located_yaml import ContentError, where
from komekshi.knowledge.register import DEFAULT_PATH, Register, RegisterError
from tools.editors.report.words import WORDS, Words
from tools.editors.review import REVIEW_DIR, assigned_examples
from tools.ml.training_data import spellings_of

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, order=True)
class Finding:
    where: str
    level: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


def _normal(text: str) -> str:
    """A question as the model sees it: case, punctuation and spacing do not matter."""
    return " ".join(_WORDS.findall(text.lower().replace("ё", "е")))


def too_few_questions(content: Content, gates: Mapping[str, Any]) -> Iterable[Finding]:
    """Each topic needs enough questions in each language, written and generated together,
    and enough of them in Latin letters."""
    spellings = quality()["spellings"]
    for topic in content.topics:
        for language in LANGUAGES:
            name = "Kazakh (kk)" if language == "kk" else "Russian (ru)"
            written = [str(q) for q in topic.questions[language]]
            if len(written) < gates["min_written_per_language"]:
                yield Finding(
                    f"{topic.file}:1",
                    "error",
                    f"{topic.intent} has {len(written)} {name} questions; write at least "
                    f"{gates['min_written_per_language']}, in the ways citizens really ask",
                )
                continue
            examples = written + [s for q in written for s in spellings_of(q, language, spellings)]
            latin = sum(script_of(text) in ("latin", "mixed") for text in examples)
            if len(examples) < gates["min_questions_per_language"]:
                yield Finding(
                    f"{topic.file}:1",
                    "error",
                    f"{topic.intent} has {len(examples)} {name} examples with the generated "
                    f"spellings; it needs {gates['min_questions_per_language']}: write more",
                )
            elif latin < gates["min_latin_share"] * len(examples):
                yield Finding(
                    f"{topic.file}:1",
                    "error",
                    f"{topic.intent}: {latin} of its {len(examples)} {name} examples are in "
                    f"Latin letters; at least {gates['min_latin_share']:.0%} must be: write "
                    "some questions in Latin letters or mixed",
                )


def same_question_twice(content: Content) -> Iterable[Finding]:
    """One question under two topics: the model cannot learn both."""
    first: dict[str, tuple[str, str]] = {}
    for topic, _, question in iter_questions(content):
        key = _normal(question)
        at = where(question, topic.file)
        if key in first and first[key][0] != topic.intent:
            intent, other = first[key]
            yield Finding(
                at,
                "error",
                f"'{question}' is a question of {topic.intent} and also of {intent} ({other}); "
                "keep it in one topic only",
            )
        first.setdefault(key, (topic.intent, at))


def conflicts(content: Content, similarity: float) -> Iterable[Finding]:
    """Near-copies across topics, by the sentence model: likely to confuse the model."""
    questions = [(t, q) for t, _, q in iter_questions(content)]
    if not questions:
        return
    vectors = Embedder().encode([str(q) for _, q in questions])
    for start in range(0, len(questions), 1000):  # blocks keep the score matrix small
        scores = vectors[start : start + 1000] @ vectors.T
        for row, j in zip(*(scores >= similarity).nonzero(), strict=True):
            i = start + int(row)
            (topic, question), (other, twin) = questions[i], questions[int(j)]
            if j > i and other.intent != topic.intent:
                yield Finding(
                    where(question, topic.file),
                    "warning",
                    f"'{question}' ({topic.intent}) is very close to '{twin}' ({other.intent}, "
                    f"{where(twin, other.file)}); reword one, or move it, so the two "
                    "topics are told apart",
                )


def stale_sources(register: Register, days: int, today: dt.date) -> Iterable[Finding]:
    """A page read over `days` ago is read again; a reading in the future is a mistake."""
    for service in register.services:
        at = f"register: service '{service.id}'"
        for source in service.sources.values():
            if source.read_on > today:
                yield Finding(at, "error", f"source '{source.key}' read_on {source.read_on} "
                              "is in the future")  # fmt: skip
            elif (today - source.read_on).days > days:
                yield Finding(
                    at,
                    "warning",
                    f"its source '{source.key}' ({source.url}) was read on {source.read_on}, "
                    f"over {days} days ago; read the page again, correct the facts taken from "
                    "it and update read_on",
                )
        if not service.verified:
            yield Finding(at, "warning", "verified: false: its facts are not confirmed yet; "
                          "citizens are told to check the official page")  # fmt: skip


def official(url: str, sites: Iterable[str]) -> bool:
    """Whether `url` is on one of the official `sites` or a subdomain of one."""
    host = (urlparse(url).hostname or "").rstrip(".")
    return any(host == site or host.endswith(f".{site}") for site in sites)


def unofficial_facts(register: Register, sites: list[str]) -> Iterable[Finding]:
    """A fact citizens act on rests on an official text, never on news retelling it, and a
    card sends citizens to an official page."""
    for service in register.services:
        if not official(service.page, sites):
            yield Finding(
                f"register: service '{service.id}'",
                "error",
                f"its page {service.page} is not on an official site "
                "(quality.yml register.official_sites)",
            )
        for name, fact in service.facts.items():
            if not official(fact.source.url, sites):
                yield Finding(
                    f"register: service '{service.id}'",
                    "error",
                    f"its {name} rests on {fact.source.url}, not an official site "
                    "(quality.yml register.official_sites): find the official text or remove "
                    "the fact",
                )


def coverage(register: Register, targets: Mapping[str, Any]) -> Iterable[Finding]:
    """How many services have each fact an official text confirmed, against the targets,
    and which of the most asked are not complete."""
    total = len(register.services)
    for fact in ("fee", "processing_time", "documents"):
        known = sum(fact in service.facts for service in register.services)
        target = float(targets[f"{fact}_known"])
        if known < target * total:
            yield Finding(
                "register",
                "warning",
                f"{fact} is confirmed for {known} of {total} services ({known / total:.0%}); "
                f"the target is {target:.0%}: read the official rules and add it with its source",
            )
    for service_id in targets["most_asked"]:
        service = register.get(service_id)
        if service and service.missing:
            yield Finding(
                f"register: service '{service_id}'",
                "warning",
                f"one of the most asked services, not complete: {', '.join(service.missing)} "
                "not confirmed yet",
            )


def topics_match_the_register(content: Content, register: Register) -> Iterable[Finding]:
    """A service or situation topic names one the register has; a service without questions
    is learnt from its names alone (fine for a new one, not for long)."""
    situations = {s.id for s in register.situations}
    written = set()
    for topic in content.topics:
        kind, _, key = topic.intent.partition("/")
        if kind == "ask_service":
            written.add(key)
            if register.get(key) is None:
                yield Finding(
                    f"{topic.file}:1",
                    "error",
                    f"{key} is not a service of the register (register/*.yml)",
                )
        elif kind == "ask_life_situation" and key not in situations:
            yield Finding(
                f"{topic.file}:1",
                "error",
                f"{key} is not a life situation of register/life_situations.yml",
            )
    for service in register.services:
        if service.id not in written:
            yield Finding(
                f"register: service '{service.id}'",
                "warning",
                f"no questions yet: the model learns it from its names only; write them in "
                f"content/topics/services/{service.id}.yml",
            )  # fmt: skip


def report_words(path: Path, root: Path) -> Iterable[Finding]:
    """The words of `make report` (content/report.yml): a mistake there stops the report,
    not training, so it is a warning."""
    try:
        Words.load(path, root)
    except ContentError as error:
        for problem in error.problems:
            at, _, message = problem.partition(": ")
            yield Finding(at, "warning", f"{message} (`make report` stops until it is fixed)")


def run(
    content_dir: Path, register_dir: Path, today: dt.date, similar: bool = True
) -> list[Finding]:
    """Every finding about the content and the register (`similar`: near-copies too)."""
    gates = quality()["content"]
    try:
        content = Content.load(content_dir)
    except ContentError as error:
        return [_finding(problem) for problem in error.problems]
    findings = [*too_few_questions(content, gates), *same_question_twice(content)]
    try:
        assigned_examples(content, content_dir / REVIEW_DIR.name)
    except ContentError as error:
        findings += [_finding(problem) for problem in error.problems]
    findings += report_words(content_dir / WORDS.name, content_dir.parent)
    try:
        register = Register.load(register_dir)
        findings += stale_sources(register, quality()["register"]["stale_after_days"], today)
        findings += unofficial_facts(register, quality()["register"]["official_sites"])
        findings += coverage(register, quality()["register"])
        findings += topics_match_the_register(content, register)
        content.with_service_buttons({s.id: s.name for s in register.services})
    except ContentError as error:
        findings += [_finding(problem) for problem in error.problems]
    except RegisterError as error:
        findings.append(Finding("register", "error", str(error)))
    if similar and not any(f.level == "error" for f in findings):
        findings += conflicts(content, gates["conflict_similarity"])
    return findings


def _finding(problem: str) -> Finding:
    at, _, message = problem.partition(": ")
    return Finding(at, "error", message)


def main() -> None:
    parser = argparse.ArgumentParser(description="Check the editors' content and register.")
    parser.add_argument("--content", type=Path, default=CONTENT)
    parser.add_argument("--register", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--errors-only", action="store_true", help="only what stops training (fast, for make train)"
    )
    args = parser.parse_args()
    findings = run(args.content, args.register, dt.date.today(), similar=not args.errors_only)
    if args.errors_only:
        findings = [f for f in findings if f.level == "error"]
    for finding in findings:
        print(finding)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    print(f"{errors} errors, {warnings} warnings", file=sys.stderr)
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
