"""The held-out set stays apart from the training data, and its labels mean what they say."""

from __future__ import annotations

from functools import cache

import yaml

from komekshi.knowledge.content import Content, iter_questions
from komekshi.knowledge.register import Register
from tools.ml.heldout import all_texts, load_conversations, load_messages, near_copies
from tools.ml.training_data import examples


@cache
def _register() -> Register:
    return Register.load()


def _training_texts() -> list[str]:
    """The questions the model learns from: the editors', their generated spellings and the
    ones assigned in review. A service's or situation's own names are left out: a citizen
    who types a service's name is meant to find it, whatever the held-out set says."""
    content = Content.load()
    written = [str(question) for _, _, question in iter_questions(content)]
    extra = examples(content, _register())
    return written + [text for source, by_intent in extra.items()
                      if source not in ("register", "situations")
                      for texts in by_intent.values() for text in texts]  # fmt: skip


def test_no_held_out_message_nor_a_near_copy_is_in_the_training_data() -> None:
    from komekshi.core.embedding import Embedder

    found = near_copies(list(all_texts()), _training_texts(), Embedder().encode)
    report = "\n".join(f"{held!r} ~ {learnt!r} ({how})" for held, learnt, how in found)
    assert not found, f"held-out messages found in the training data:\n{report}"


def test_near_copies_are_found_by_spelling_and_by_meaning() -> None:
    training = ["как получить справку о несудимости", "жеке куәлікті қалай ауыстырамын",
                "какие документы нужны для открытия ИП"]  # fmt: skip
    held = [
        "как получить справку о несудимости?",  # the same, punctuated
        "Zheke kualikti kalai auystyramyn",  # the same, in Latin letters
        "где взять справку что я не судим",  # a paraphrase: allowed
        "какие документы нужны",  # inside a longer question that adds to it: allowed
        "спасибо",  # too short to be checked
    ]
    found = {text for text, _, _ in near_copies(held, training)}
    assert found == {held[0], held[1]}


def test_every_label_names_a_service_topic_or_situation_that_exists() -> None:
    services = {s.id for s in _register().services}
    situations = {s.id for s in _register().situations}
    topics = {t.key for t in Content.load().topics if t.base_intent == "faq"}
    turns = [t for c in load_conversations() for t in c.turns]
    for expected in [*load_messages(), *turns]:
        for label in expected.expect:
            kind, _, key = label.partition(":")
            known = {"service": services, "situation": situations, "faq": topics}.get(kind)
            assert known is None or key in known, f"{label}: {expected.text!r}"


def test_the_held_out_set_is_as_varied_as_citizens_write() -> None:
    messages = load_messages()
    share = lambda hits: sum(hits) / len(messages)  # noqa: E731
    assert len(messages) >= 800
    assert share(m.expect[0].startswith("service:") for m in messages) >= 0.5
    assert abs(share(m.language == "kk" for m in messages) - 0.5) <= 0.05
    assert share(m.script == "latin_or_mixed" for m in messages) >= 0.40
    assert share(m.long for m in messages) >= 0.15
    assert share(m.typos for m in messages) >= 0.15
    conversations = load_conversations()
    assert len(conversations) >= 150 and sum(len(c.turns) for c in conversations) >= 500


def test_the_held_out_files_are_plain_yaml() -> None:
    from tools.ml.heldout import HELDOUT

    for path in HELDOUT.rglob("*.yml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8")), path
