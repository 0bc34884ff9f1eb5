"""`make train`'s first step: Rasa's training data and domain, built from what editors keep.

The model learns every topic and every register service as a class of its own, from:
- the questions editors wrote (content/topics/, each in correct Kazakh or Russian);
- the ways citizens spell those questions, generated from each one (tools/ml/spellings.py:
  Kazakh in both Latin alphabets, informal ASCII and without Kazakh letters, Russian in
  transliteration and chat spelling, typos), as many as quality.yml says;
- the register's names and synonyms of each service (`ask_service/<id>`) and the names and
  keywords of each life situation (`ask_life_situation/<id>`);
- the questions editors assigned to a topic in `make review` (content/review/).
The result goes to `build/` (never edited by hand).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from komekshi.core.language import Lang
from komekshi.core.settings import quality
from komekshi.knowledge.content import ROOT, Content, ContentError, build, iter_questions
from komekshi.knowledge.register import Register, RegisterError, nlu_examples
from tools.editors.review import assigned_examples
from tools.ml.spellings import variants


def spellings_of(question: str, language: Lang, settings: Mapping[str, Any]) -> list[str]:
    """The spellings `make train` generates from one question (`settings`: quality.yml's
    `spellings`)."""
    made = variants(question, language, int(settings[language]), int(settings["seed"]))
    return [text for _, text in made]


def spelled_examples(content: Content) -> dict[str, list[str]]:
    """The generated spellings of every topic question, by intent."""
    settings = quality()["spellings"]
    examples: dict[str, list[str]] = {}
    for topic, language, question in iter_questions(content):
        spelled = spellings_of(str(question), language, settings)
        examples.setdefault(topic.intent, []).extend(spelled)
    return examples


def situation_examples(register: Register) -> dict[str, list[str]]:
    """Each life situation's names and keywords, as examples of its class."""
    return {
        f"ask_life_situation/{situation.id}": list(dict.fromkeys(situation.phrases()))
        for situation in register.situations
    }


def examples(content: Content, register: Register) -> dict[str, dict[str, list[str]]]:
    """Every example besides the topics' own questions, by source."""
    return {
        "register": nlu_examples(register),
        "situations": situation_examples(register),
        "spellings": spelled_examples(content),
        "review": assigned_examples(content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Build Rasa's data from the editors' content.")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    try:
        content = Content.load()
        register = Register.load()
        extra = examples(content, register)
        content = content.with_service_buttons({s.id: s.name for s in register.services})
    except (ContentError, RegisterError) as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from error
    for path in build(args.out, extra, content):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    added = sum(len(texts) for source in extra.values() for texts in source.values())
    written = sum(1 for _ in iter_questions(content))
    print(
        f"{written} questions written by editors, {added} examples from the register, the "
        "spellings and the review"
    )


if __name__ == "__main__":
    main()
