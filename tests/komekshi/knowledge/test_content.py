"""The editors' content: loaded, checked with file and line, written back as editors read it
(built into Rasa's data: tests/tools/ml/test_training_data.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from komekshi.core.language import LANGUAGES
from komekshi.knowledge.content import Content, dump_topic, header_of
from komekshi.knowledge.located_yaml import ContentError
from komekshi.knowledge.register import Register
from tests.conftest import ROOT

CONTENT = Content.load()

TOPIC = """# A test topic.
intent: faq/test_topic
label:
  kk: Сынақ тақырыбы
  ru: Тестовая тема
questions:
  kk:
    - сынақ сұрағы
  ru:
    - тестовый вопрос
answer:
  kk: Сынақ жауабы.
  ru: Тестовый ответ.
"""


def content_with(tmp_path: Path, topic: str = TOPIC, name: str = "faq_test_topic.yml") -> Path:
    """A copy of the shipped content with one more topic file."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    (root / "topics" / name).write_text(topic, encoding="utf-8")
    return root


def test_the_shipped_content_has_every_answer_in_both_languages() -> None:
    replies = CONTENT.replies()
    assert "utter_greet" in replies and "utter_faq/hkko" in replies
    for reply in replies.values():
        assert all(reply.text[language].strip() for language in LANGUAGES)
        for title, _ in reply.buttons:
            assert all(title[language].strip() for language in LANGUAGES)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (TOPIC.replace("  ru: Тестовый ответ.\n", ""),
         "content/topics/faq_test_topic.yml:12: utter_faq/test_topic: the Russian (ru) text is "
         "missing"),
        (TOPIC.replace("questions:", "questoins:"),
         "content/topics/faq_test_topic.yml:6: unknown key 'questoins'"),
        (TOPIC.replace("Тестовый ответ.", "Ответ для {name}."),
         "only the Russian text has {name}"),
        (TOPIC.replace("    - тестовый вопрос", '    - "[тестовый](вопрос)"'),
         "content/topics/faq_test_topic.yml:10: a question cannot contain [ ] { or }"),
        (TOPIC.replace("intent: faq/test_topic", "intent: faq/hkko"),
         "intent faq/hkko is already the topic of content/topics/faq_hkko.yml"),
        (TOPIC.replace("label:", "label: [oops"),
         "content/topics/faq_test_topic.yml:4: not valid YAML"),
    ],
)  # fmt: skip
def test_a_broken_topic_is_rejected_naming_file_and_line(
    tmp_path: Path, broken: str, expected: str
) -> None:
    with pytest.raises(ContentError) as error:
        Content.load(content_with(tmp_path, broken))
    assert expected in str(error.value)


def test_a_written_topic_file_reads_back_the_same(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "topics").mkdir(parents=True)
    for topic in CONTENT.topics:
        written = root / "topics" / Path(topic.file).name
        written.write_text(dump_topic(topic, header_of(ROOT / topic.file)), encoding="utf-8")
        assert header_of(written) == header_of(ROOT / topic.file)
    again = {topic.intent: topic for topic in Content.load(root).topics}
    for topic in CONTENT.topics:
        copy = again[topic.intent]
        assert (copy.questions, copy.label, copy.answer) == (
            topic.questions,
            topic.label,
            topic.answer,
        )


def test_a_message_in_one_language_only_is_rejected(tmp_path: Path) -> None:
    root = content_with(tmp_path)
    (root / "messages" / "extra.yml").write_text(
        "messages:\n  utter_extra:\n    kk: Тек қазақша.\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"content/messages/extra.yml:\d+: utter_extra: the "
                       r"Russian \(ru\) text is missing"):  # fmt: skip
        Content.load(root)


def test_a_topic_offers_the_cards_of_the_services_it_covers(tmp_path: Path) -> None:
    root = content_with(tmp_path, TOPIC + "services:\n  - eds_renewal\n")
    content = Content.load(root)
    names = {s.id: s.name for s in Register.load().services}
    names["eds_renewal"] = {"kk": "ЭЦҚ ұзарту (онлайн)", "ru": "Продление ЭЦП (онлайн)"}
    answer = content.with_service_buttons(names).topic("faq/test_topic")
    assert answer is not None and answer.answer is not None
    assert answer.answer.buttons == [
        ({"kk": "ЭЦҚ ұзарту", "ru": "Продление ЭЦП"}, '/ask_service{"service": "eds_renewal"}')
    ]
    assert content.covers()["faq/test_topic"] == ["eds_renewal"]
    del names["eds_renewal"]
    with pytest.raises(ContentError, match="'eds_renewal' is not a service of the register"):
        content.with_service_buttons(names)
