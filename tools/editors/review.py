"""Questions the bot could not answer, grouped by meaning for editors (`make review`).

`make review` takes the questions kept since the last review (komekshi/channel/analytics.py:
they ended in a fallback, out of scope, or with a person), groups them by meaning with the
sentence model, and writes `content/review/<date>.yml`, largest groups first. For each group an
editor sets `topic:` to the intent of an existing topic (content/topics/), or of a new topic
they added, and deletes questions that should not be learned; `make train` then learns the
group's questions as examples of that topic (`assigned_examples`). A group left without a
topic is skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis
from numpy.typing import NDArray
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from komekshi.channel import analytics
from komekshi.core import settings
from komekshi.core.embedding import Embedder
from komekshi.core.keys import UNANSWERED
from komekshi.core.language import LANGUAGES
from komekshi.core.settings import ROOT
from komekshi.knowledge.content import CONTENT, Content, iter_questions, scalar
from komekshi.knowledge.located_yaml import ContentError, read_yaml, where
from komekshi.knowledge.search import normalise
from tools.editors.bot_redis import stored

REVIEW_DIR = CONTENT / "review"
# The stream id of the last question written to a review file.
REVIEWED = f"{UNANSWERED}:reviewed"
# Questions closer than this (cosine distance, average linkage) share a group. A question is
# described by its e5 vector, centred on the mean of the topics' questions (e5 puts any two
# sentences of one language close, the centring removes what they all share), beside its
# character n-grams. Measured (tests/tools/editors/test_review.py): paraphrases 0.18-0.55, different
# questions 0.75 and more, the same question in the other language 0.6-0.9 (e5-small does not
# bring Kazakh and Russian close enough: those are two groups an editor assigns alike).
GROUP_DISTANCE = 0.6

# Sentence vectors of texts, in order (komekshi.core.embedding.Embedder.encode).
Encode = Callable[[list[str]], NDArray[np.float32]]
# Topic questions the centring is measured on (a fixed sample, for speed).
REFERENCE_SIZE = 300

HEADER = """Questions citizens asked that the bot could not answer, grouped by meaning.
Written by `make review` on {date}; {count} questions in {groups} groups, largest first.

For each group, set `topic:` to the intent of the topic these questions belong to, e.g.
`topic: faq/hkko` (see content/topics/; add a new topic file first if none fits), and
delete the questions that should not be learned. The next `make train` learns them as
examples of that topic. Groups without a topic are skipped; `reasons` says how each
question ended: fallback (not understood), out_of_scope, or handoff (went to a person)."""


def _features(texts: list[str], encode: Encode) -> np.ndarray[Any, Any]:
    questions = sorted(q for _, _, q in iter_questions(Content.load()))
    reference = questions[:: max(1, len(questions) // REFERENCE_SIZE)]
    centred = encode(texts) - encode(reference).mean(axis=0)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    chars.fit([normalise(t) for t in [*reference, *texts]])
    spelling = chars.transform([normalise(t) for t in texts]).toarray()
    return np.asarray(normalize(np.hstack([normalize(centred), normalize(spelling)])))


def group(texts: list[str], encode: Encode) -> list[list[int]]:
    """Indices of `texts` grouped by meaning, largest group first."""
    if len(texts) < 2:
        return [list(range(len(texts)))] if texts else []
    labels = AgglomerativeClustering(
        n_clusters=None,
        affinity="cosine",
        linkage="average",
        distance_threshold=GROUP_DISTANCE,
    ).fit_predict(_features(texts, encode))
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda members: (-len(members), members[0]))


def review_file(questions: list[analytics.Unanswered], groups: list[list[int]], date: str) -> str:
    """The text of a review file."""
    header = HEADER.format(date=date, count=len(questions), groups=len(groups))
    lines = [*(f"# {line}" if line else "#" for line in header.splitlines()), "groups:"]
    for members in groups:
        reasons: dict[str, int] = {}
        for index in members:
            reasons[questions[index].reason] = reasons.get(questions[index].reason, 0) + 1
        shown = ", ".join(f"{reason}: {count}" for reason, count in sorted(reasons.items()))
        lines += ["", "  - topic:", f"    size: {len(members)}", f"    reasons: {{{shown}}}"]
        lines.append("    questions:")
        for language in LANGUAGES:
            texts = list(
                dict.fromkeys(
                    questions[i].text for i in members if questions[i].language == language
                )
            )
            if texts:
                lines.append(f"      {language}:")
                lines += [f"        - {scalar(text)}" for text in texts]
    return "\n".join(lines) + "\n"


def assigned_examples(content: Content, directory: Path = REVIEW_DIR) -> dict[str, list[str]]:
    """The reviewed questions editors assigned to a topic, by intent, for training."""
    problems: list[str] = []
    examples: dict[str, list[str]] = {}
    intents = {topic.intent for topic in content.topics}
    for path in sorted(directory.glob("*.yml")):
        data = read_yaml(path, directory.parent.parent)
        at = f"{path.relative_to(directory.parent.parent)}:1"
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            problems.append(f"{at}: expected groups: (a list of question groups)")
            continue
        for entry in groups:
            topic = entry.get("topic") if isinstance(entry, dict) else None
            if not topic:
                continue
            if topic not in intents:
                problems.append(
                    f"{where(topic, at)}: topic '{topic}' is not the intent of any file in "
                    "content/topics/ (add that topic first, or pick an existing one)"
                )
                continue
            questions = entry.get("questions") or {}
            for language in LANGUAGES:
                listed = questions.get(language) or [] if isinstance(questions, dict) else []
                examples.setdefault(str(topic), []).extend(
                    str(q) for q in listed if isinstance(q, str) and q.strip()
                )
    if problems:
        raise ContentError(problems)
    return examples


def run(client: redis.Redis, out_dir: Path, today: dt.date) -> Path | None:
    """Write the review file of the questions kept since the last review; None if none."""
    last = client.get(REVIEWED)
    questions = analytics.unanswered(client, last.decode() if last else "-")
    if not questions:
        return None
    groups = group([q.text for q in questions], Embedder().encode)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{today.isoformat()}.yml"
    suffix = 1
    while path.exists():
        suffix += 1
        path = out_dir / f"{today.isoformat()}-{suffix}.yml"
    path.write_text(review_file(questions, groups, today.isoformat()), encoding="utf-8")
    client.set(REVIEWED, questions[-1].id)
    return path


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    config = settings.load({**settings.read_dotenv(ROOT / ".env"), **os.environ})
    nothing_yet = "No questions yet: start the bot with `make run` first."
    with stored(config, nothing_yet) as client:
        path = run(client, REVIEW_DIR, dt.date.today())
    if path is None:
        print("No new unanswered questions since the last review.")
    else:
        print(f"Wrote {path.relative_to(ROOT)}: set each group's topic, then run `make train`.")


if __name__ == "__main__":
    main()
