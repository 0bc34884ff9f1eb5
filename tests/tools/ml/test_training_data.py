"""Rasa's training data and domain, built from the editors' content (tools/ml/training_data.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from komekshi.knowledge.content import Content
from tests.komekshi.knowledge.test_content import content_with
from tools.ml.training_data import build


def test_a_new_topic_file_becomes_an_intent_a_response_and_a_rule(tmp_path: Path) -> None:
    content = Content.load(content_with(tmp_path))
    written = build(tmp_path / "build", {}, content)
    domain = yaml.safe_load((tmp_path / "build" / "domain.yml").read_text("utf-8"))
    assert "faq" in domain["intents"] and "choose_topic" in domain["intents"]
    assert [v["text"] for v in domain["responses"]["utter_faq/test_topic"]] == [
        "Сынақ жауабы.",
        "Тестовый ответ.",
    ]
    nlu = (tmp_path / "build" / "nlu" / "topics.yml").read_text("utf-8")
    assert (
        "- intent: faq/test_topic\n  examples: |\n    - сынақ сұрағы\n    - тестовый вопрос" in nlu
    )
    rules = yaml.safe_load((tmp_path / "build" / "nlu" / "rules.yml").read_text("utf-8"))
    steps = [rule["steps"] for rule in rules["rules"]]
    assert [{"intent": "greet"}, {"action": "utter_greet"}] in steps
    # An FAQ topic is answered by an action (its services become the subject), not a rule.
    assert not [step for step in steps if step[0] == {"intent": "faq"}]
    assert len(written) == 3
