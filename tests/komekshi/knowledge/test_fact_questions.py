"""The one fact a question asks, in every script and keyboard."""

from __future__ import annotations

import pytest

from komekshi.knowledge.fact_questions import asked_fact


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("сколько стоит загранпаспорт", "fee"),
        ("загранпаспорт скока стоит", "fee"),
        ("skolko stoit zamena udostovereniya", "fee"),
        ("жеке куәлік ауыстыру қанша тұрады", "fee"),
        ("zheke kualik auystyru kansha turady", "fee"),
        ("справку о несудимости сколько дней делают", "processing_time"),
        ("қанша күнде дайын болады", "processing_time"),
        ("ЖК ашуға қандай құжаттар керек", "documents"),
        ("кужаттары кандай", "documents"),
        ("kakie dokumenty nuzhny dlya propiski", "documents"),
        ("куда обращаться за пособием", "where"),
        ("қайда барамыз", "where"),
        ("а через телефон можно сделать?", "online"),
        ("телефоннан жасауға бола ма", "online"),
        ("pasportty onlain alsa bola ma", "online"),
        ("кому положено пособие", "who"),
        ("маған тиесілі ме", "who"),
        ("сколько платят декретные", "amount"),
        ("а сколько его оформляют?", "processing_time"),
        ("рассматривают сколько обычно", "processing_time"),
        ("skoka zhdat vyplatu", "processing_time"),
        ("когда дадут ответ", "processing_time"),
        ("қашан шығады", "processing_time"),
        ("где получить эту справку", "where"),
        ("qaidan alamyn anyqtamany", "where"),
        ("кайда жазылу керек", "where"),
        ("кто имеет право на отсрочку", "who"),
        ("со скольки лет можно", "who"),
        ("неше жастан бастап береді", "who"),
        ("декларацияны кім тапсырады", "who"),
    ],
)
def test_the_fact_a_question_asks(question: str, fact: str) -> None:
    assert asked_fact(question) == fact


@pytest.mark.parametrize("question", ["как получить паспорт", "хочу открыть ИП"])
def test_a_question_asking_no_fact_gets_the_whole_card(question: str) -> None:
    assert asked_fact(question) is None


def test_of_several_facts_named_the_one_asked_last_wins() -> None:
    assert asked_fact("pitanie besplatnoe komu polozheno") == "who"
    assert asked_fact("через скока деньги придут, это бесплатно же?") == "fee"
