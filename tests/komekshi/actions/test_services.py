"""Questions about services: a card of what is known, one fact, a choice, a follow-up."""

from __future__ import annotations

from komekshi.actions.services import ActionAnswerFact, ActionAnswerService, ActionAnswerVariant
from komekshi.knowledge import responses
from tests.komekshi.actions.conftest import DOMAIN, run, tracker

ID_CARD = {"ask_service/id_card_replacement": 0.8, "ask_service/passport_issuance": 0.1,
           "ask_service/eds_issue": 0.1}  # fmt: skip


def _text(message: dict[str, object], language: str = "ru") -> str:
    """The text Rasa renders from an action's response and values."""
    values = {k: v for k, v in message.items() if k not in ("response", "buttons", "template")}
    name = str(message["response"])
    return responses.text(DOMAIN["responses"], name, language, **values)  # type: ignore[arg-type]


async def test_a_card_shows_only_confirmed_facts_in_the_citizens_language() -> None:
    for language, where, page in [
        ("ru", "📍 Куда обращаться: eGov.kz или любой ЦОН", "services/3087?lang=ru"),
        ("kk", "📍 Қайда жүгінесіз: eGov.kz немесе кез келген ХҚКО", "services/3087?lang=kk"),
    ]:
        messages, slots = await run(
            ActionAnswerService(), tracker("поменять удостоверение", language, classes=ID_CARD)
        )
        [message] = messages
        text = _text(message, language)
        assert message["response"] == "utter_service_card"
        assert where in text and page in text and "03.12.2026" in text
        # Documents and fee are known; time, who, result are not, and are left out.
        assert text.index("📍") < text.index("📄") < text.index("💳")
        assert "⏱" not in text and "👤" not in text and "уточните" not in text
        assert slots["service_ids"] == ["id_card_replacement"]
        assert slots["subject_services"] == ["id_card_replacement"]
        assert slots["answer"]["kind"] == "service" and slots["answer"]["fact"] is None


async def test_an_unconfirmed_service_says_so_and_points_to_the_page() -> None:
    messages, _ = await run(
        ActionAnswerService(),
        tracker("как зарегистрировать рождение", classes={"ask_service/birth_registration": 1}),
    )
    text = _text(messages[0])
    assert "ещё не подтверждены" in text and "https://egov.kz" in text
    assert "📍" not in text


async def test_a_question_asking_one_fact_gets_that_fact_and_a_button_for_the_card() -> None:
    messages, slots = await run(
        ActionAnswerService(), tracker("сколько стоит замена удостоверения", classes=ID_CARD)
    )
    [message] = messages
    assert message["response"] == "utter_service_fact"
    assert "стоимость: 0,2 МРП" in _text(message)
    assert message["buttons"][0]["payload"] == '/ask_service{"service": "id_card_replacement"}'
    assert slots["answer"]["fact"] == "fee"


async def test_an_unknown_fact_is_said_to_be_unknown_never_guessed() -> None:
    messages, _ = await run(
        ActionAnswerService(),
        tracker("сколько дней делают паспорт", classes={"ask_service/passport_issuance": 1}),
    )
    text = _text(messages[0])
    assert messages[0]["response"] == "utter_fact_not_known"
    assert "срок — подтверждённых сведений у меня пока нет" in text
    assert "https://egov.kz/cms/ru/services/passport" in text


async def test_two_close_services_let_the_citizen_choose_unless_the_subject_decides() -> None:
    close = {"ask_service/eds_issue": 0.5, "ask_service/eds_renewal": 0.45,
             "ask_service/passport_issuance": 0.05}  # fmt: skip
    messages, slots = await run(ActionAnswerService(), tracker("эцп", classes=close))
    assert messages[0]["response"] == "utter_service_choose"
    assert [b["title"] for b in messages[0]["buttons"]] == ["Получение ЭЦП", "Продление ЭЦП"]
    assert slots["answer"]["kind"] == "choice"
    # The same message after an answer about renewal: the subject wins.
    subject = {"subject_services": ["eds_renewal"]}
    messages, slots = await run(ActionAnswerService(), tracker("эцп", classes=close, slots=subject))
    assert messages[0]["response"] == "utter_service_card"
    assert slots["service_ids"] == ["eds_renewal"]


async def test_a_button_answers_the_service_it_names() -> None:
    entities = [{"entity": "service", "value": "eds_issue"}]
    messages, slots = await run(
        ActionAnswerService(), tracker('/ask_service{"service": "eds_issue"}', entities=entities)
    )
    assert messages[0]["response"] == "utter_service_card"
    assert slots["service_ids"] == ["eds_issue"]


async def test_a_follow_up_answers_the_fact_of_the_subject() -> None:
    subject = {"subject_services": ["id_card_replacement"]}
    messages, slots = await run(
        ActionAnswerFact(), tracker("а скока стоит?", "ru", "ask_fee", slots=subject)
    )
    assert "стоимость: 0,2 МРП" in _text(messages[0])
    assert slots["answer"] == {"kind": "service", "id": "id_card_replacement", "fact": "fee",
                               "options": []}  # fmt: skip


async def test_a_follow_up_about_an_faq_answers_services_lets_the_citizen_choose() -> None:
    subject = {"subject_services": ["eds_issue", "eds_renewal"]}
    messages, slots = await run(
        ActionAnswerFact(), tracker("ал құны қанша?", "kk", "ask_fee", slots=subject)
    )
    assert messages[0]["response"] == "utter_service_choose"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/ask_fee{"service": "eds_issue"}',
        '/ask_fee{"service": "eds_renewal"}',
    ]
    assert slots["answer"]["kind"] == "choice" and slots["pending_fact"] == "fee"
    # The citizen names one of them: the fee of that one.
    pending = {**subject, "pending_fact": "fee"}
    messages, slots = await run(
        ActionAnswerService(),
        tracker("ұзарту", "kk", classes={"ask_service/eds_renewal": 1.0}, slots=pending),
    )
    assert slots["answer"] == {"kind": "service", "id": "eds_renewal", "fact": "fee",
                               "options": []}  # fmt: skip
    assert slots["pending_fact"] is None


async def test_a_follow_up_can_be_done_online_or_not() -> None:
    online = {"subject_services": ["eds_issue"]}
    messages, _ = await run(
        ActionAnswerFact(), tracker("онлайн можно?", "ru", "ask_online", slots=online)
    )
    assert messages[0]["response"] == "utter_service_online"
    offline = {"subject_services": ["passport_issuance"]}
    messages, _ = await run(
        ActionAnswerFact(), tracker("онлайн можно?", "ru", "ask_online", slots=offline)
    )
    assert messages[0]["response"] == "utter_service_offline"


async def test_a_follow_up_without_a_subject_asks_which_service() -> None:
    messages, slots = await run(ActionAnswerFact(), tracker("а сколько стоит?", "ru", "ask_fee"))
    assert messages[0]["response"] == "utter_service_which"
    assert slots["answer"]["kind"] == "choice"


async def test_another_case_of_the_same_service_answers_who_may_apply() -> None:
    subject = {"subject_services": ["eds_issue"]}
    messages, slots = await run(
        ActionAnswerVariant(), tracker("а для ребёнка?", "ru", "ask_variant", slots=subject)
    )
    assert slots["service_ids"] == ["eds_issue"] and slots["answer"]["fact"] == "who"
    assert messages[0]["response"] == "utter_fact_not_known"


async def test_a_fact_question_that_names_no_other_service_clearly_is_about_the_subject() -> None:
    subject = {"subject_services": ["id_card_replacement"]}
    unsure = {"ask_service/passport_issuance": 0.4, "ask_service/eds_issue": 0.35,
              "ask_service/birth_registration": 0.25}  # fmt: skip
    state = tracker("сколько по времени делают?", classes=unsure, slots=subject, confidence=0.8)
    _, slots = await run(ActionAnswerService(), state)
    assert slots["service_ids"] == ["id_card_replacement"]
    assert slots["answer"]["fact"] == "processing_time"
    sure = {"ask_service/passport_issuance": 0.9, "ask_service/eds_issue": 0.1}
    state = tracker("а сколько стоит загранпаспорт?", classes=sure, slots=subject)
    _, slots = await run(ActionAnswerService(), state)
    assert slots["service_ids"] == ["passport_issuance"]
