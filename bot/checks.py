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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.content import CONTENT, Content, ContentError, iter_questions, where
from bot.language import LANGUAGES
from bot.register import DEFAULT_PATH, Register, RegisterError
from bot.review import REVIEW_DIR, assigned_examples
from bot.settings import quality

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


def too_few_questions(content: Content, minimum: int) -> Iterable[Finding]:
    for topic in content.topics:
        for language in LANGUAGES:
            count = len(topic.questions[language])
            if count < minimum:
                name = "Kazakh (kk)" if language == "kk" else "Russian (ru)"
                yield Finding(
                    f"{topic.file}:1",
                    "error",
                    f"{topic.intent} has {count} {name} questions; write at least {minimum}, "
                    "in the ways citizens really ask (with typos, in Latin letters, mixed)",
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
    from bot.embedding import Embedder

    questions = [(t, q) for t, _, q in iter_questions(content)]
    if not questions:
        return
    vectors = Embedder().encode([str(q) for _, q in questions])
    scores = vectors @ vectors.T
    for i, (topic, question) in enumerate(questions):
        for j in range(i + 1, len(questions)):
            other, twin = questions[j]
            if other.intent != topic.intent and scores[i, j] >= similarity:
                yield Finding(
                    where(question, topic.file),
                    "warning",
                    f"'{question}' ({topic.intent}) is very close to '{twin}' ({other.intent}, "
                    f"{where(twin, other.file)}); reword one, or move it, so the two "
                    "topics are told apart",
                )


def stale_sources(register: Register, days: int, today: dt.date) -> Iterable[Finding]:
    for service in register.services:
        at = f"register: service '{service.id}'"
        if service.checked_on > today:
            yield Finding(at, "error", f"checked_on {service.checked_on} is in the future")
        elif (today - service.checked_on).days > days:
            yield Finding(
                at,
                "warning",
                f"its source {service.source} was last checked on {service.checked_on}, over "
                f"{days} days ago; check the page again and update checked_on",
            )


def run(
    content_dir: Path, register_dir: Path, today: dt.date, similar: bool = True
) -> list[Finding]:
    """Every finding about the content and the register (`similar`: near-copies too)."""
    gates = quality()["content"]
    try:
        content = Content.load(content_dir)
    except ContentError as error:
        return [_finding(problem) for problem in error.problems]
    findings = [
        *too_few_questions(content, gates["min_questions_per_language"]),
        *same_question_twice(content),
    ]
    try:
        assigned_examples(content, content_dir / REVIEW_DIR.name)
    except ContentError as error:
        findings += [_finding(problem) for problem in error.problems]
    try:
        register = Register.load(register_dir)
        findings += stale_sources(register, gates["register_stale_after_days"], today)
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
