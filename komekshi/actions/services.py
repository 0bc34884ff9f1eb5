"""Questions about register services: a card, one fact of it, or a choice between services.

The model learns every service as a class of its own (`ask_service/<id>`); these actions read
its ranking and answer the service it is sure of. When two services score close, the one the
conversation is already about wins; otherwise the citizen chooses with buttons. A follow-up
("а сколько стоит?", "онлайн можно?") answers one fact about the subject of the conversation
(komekshi/actions/subject.py), unless it names another service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.cards import card, fact_answer
from komekshi.actions.catalogue import load
from komekshi.actions.confidence import ranking
from komekshi.actions.subject import answered, chosen, language_of, question_text, subject_services
from komekshi.core.language import Lang
from komekshi.core.vocabulary import FACT_INTENTS, SERVICE, Answer, answer_of, class_of
from komekshi.knowledge import responses
from komekshi.knowledge.content import short_name
from komekshi.knowledge.fact_questions import asked_fact
from komekshi.knowledge.register import Register, Service

# Two services whose confidences are this close are both plausible: the subject of the
# conversation decides, else the citizen chooses.
CLOSE = 0.15
# With no subject, a follow-up names a service when the register search finds it this well
# ("сколько стоит паспорт" 0.44, "где подать?" 0.32).
NAMES_A_SERVICE = 0.4
# A follow-up names a service when the model gives its services this much together
# ("а сколько стоит загранпаспорт?"), and another service than the subject's when its own
# confidence reaches NAMES_ANOTHER.
NAMED = 0.3
NAMES_ANOTHER = 0.5
# At most this many services are offered to choose from.
CHOICES = 3


@dataclass(frozen=True)
class Candidate:
    service: Service
    score: float


def candidates(parse: dict[str, Any], register: Register) -> list[Candidate]:
    """The services the model ranks for a message, best first, with their confidence."""
    found = []
    for label, score in ranking(parse):
        answer = answer_of(label)
        if answer and answer[0] == "service" and (service := register.get(answer[1])):
            found.append(Candidate(service, score))
    return found


def pick(ranked: list[Candidate], subject: list[str]) -> tuple[Service | None, list[Service]]:
    """The service to answer, or None and the services to choose from. Close runners-up
    lose to one the conversation is about."""
    if not ranked:
        return None, []
    close = [c for c in ranked if c.score >= ranked[0].score - CLOSE][:CHOICES]
    if len(close) == 1:
        return close[0].service, []
    about = [c for c in close if c.service.id in subject]
    if len(about) == 1:
        return about[0].service, []
    return None, [c.service for c in close]


def subject_of(tracker: Tracker, register: Register) -> list[Service]:
    """The services the conversation is about, those the register (still) has."""
    return [s for i in subject_services(tracker) if (s := register.get(i))]


def ask_which(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Which service? For a follow-up with no one subject to ask it about."""
    dispatcher.utter_message(response="utter_service_which")
    return answered(Answer.CHOICE)


def service_button(service: Service, language: Lang, intent: str = SERVICE) -> dict[str, str]:
    """A button that asks about one service (its card, or one fact for a fact intent)."""
    return {
        "title": short_name(service.name)[language],
        "payload": f'/{intent}{{"service": "{service.id}"}}',
    }


def answer_with(
    dispatcher: CollectingDispatcher,
    service: Service,
    language: Lang,
    domain: dict[str, Any],
    fact: str | None,
    alternatives: list[str] | None = None,
) -> list[EventType]:
    """A service's card, or one fact of it; the service becomes the subject."""
    if fact:
        response, values = fact_answer(service, fact, language, domain["responses"])
        full = responses.text(domain["responses"], "utter_full_card_button", language)
        buttons = [{"title": full, "payload": f'/{SERVICE}{{"service": "{service.id}"}}'}]
        dispatcher.utter_message(response=response, buttons=buttons, **values)
    else:
        dispatcher.utter_message(
            response="utter_service_card", **card(service, language, domain["responses"])
        )
    return answered(
        Answer.SERVICE,
        service.id,
        fact=fact,
        subject=f"service:{service.id}",
        services=[service.id],
        alternatives=alternatives,
    )


def offer_choice(
    dispatcher: CollectingDispatcher,
    services: list[Service],
    language: Lang,
    intent: str = SERVICE,
) -> list[EventType]:
    """Which one? The services as buttons; they become the subject's services, and a fact
    asked for stays pending until the citizen names one of them."""
    dispatcher.utter_message(
        response="utter_service_choose",
        buttons=[service_button(s, language, intent) for s in services],
    )
    ids = [s.id for s in services]
    options = [class_of("service", i) for i in ids]
    return answered(Answer.CHOICE, options=options, subject="choice", services=ids,
                    pending_fact=FACT_INTENTS.get(intent))  # fmt: skip


class ActionAnswerService(Action):
    """A question naming a service: its card, one fact of it, or a choice."""

    def name(self) -> str:
        return "action_answer_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        knowledge = load()
        language = language_of(tracker)
        text = question_text(tracker)
        subject = subject_services(tracker)

        def fact_for(service: Service) -> str | None:
            """The fact asked now, or the one a "which one?" left pending for this service."""
            pending = tracker.get_slot("pending_fact") if service.id in subject else None
            return asked_fact(text) or pending

        button = chosen(tracker, "service")
        if button and (service := knowledge.register.get(button)):
            return answer_with(dispatcher, service, language, domain, fact_for(service))
        ranked = candidates(tracker.latest_message, knowledge.register)
        if not ranked:
            ranked = [Candidate(m.service, m.score) for m in knowledge.register.search(text)]
        # "Сколько по времени регистрируют?" after a card: one fact asked, no other service
        # named clearly, so it is about the subject.
        current = knowledge.register.get(subject[0]) if len(subject) == 1 else None
        if current and asked_fact(text) and (not ranked or ranked[0].score < NAMES_ANOTHER):
            return answer_with(dispatcher, current, language, domain, asked_fact(text))
        service, choices = pick(ranked, subject)
        if service:
            others = [c.service.id for c in ranked[1 : CHOICES + 1]]
            return answer_with(dispatcher, service, language, domain, fact_for(service), others)
        if choices:
            return offer_choice(dispatcher, choices, language)
        dispatcher.utter_message(response="utter_service_not_found")
        return answered(Answer.NOT_UNDERSTOOD)


class ActionAnswerFact(Action):
    """A follow-up asking one fact ("а сколько стоит?"): about the subject of the
    conversation, unless the model hears another service named in it clearly; a choice when
    the subject has several services the follow-up cannot tell apart."""

    def name(self) -> str:
        return "action_answer_fact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        register = load().register
        language = language_of(tracker)
        intent = str(tracker.latest_message.get("intent", {}).get("name") or "")
        # The words of the question say which fact more precisely than the intent does.
        fact = asked_fact(question_text(tracker)) or FACT_INTENTS.get(intent) or "where"
        button = chosen(tracker, "service")
        if button and (service := register.get(button)):
            return answer_with(dispatcher, service, language, domain, fact)
        text = str(tracker.latest_message.get("text") or "")
        subject = subject_of(tracker, register)
        named = named_by_model(tracker.latest_message, register)
        if named and named.service not in subject and (not subject or named.score >= NAMES_ANOTHER):
            return answer_with(dispatcher, named.service, language, domain, fact)
        if len(subject) == 1:
            return answer_with(dispatcher, subject[0], language, domain, fact)
        if subject:
            ids = frozenset(s.id for s in subject)
            ranked = [
                c for c in candidates(tracker.latest_message, register) if c.service.id in ids
            ]
            ranked = ranked or [
                Candidate(m.service, m.score) for m in register.search(text, among=ids)
            ]
            if ranked and (len(ranked) == 1 or ranked[0].score - ranked[1].score >= CLOSE):
                return answer_with(dispatcher, ranked[0].service, language, domain, fact)
            return offer_choice(dispatcher, subject, language, intent or "ask_where")
        found = register.search(text)
        if found and found[0].score >= NAMES_A_SERVICE:
            return answer_with(dispatcher, found[0].service, language, domain, fact)
        return ask_which(dispatcher)


def named_by_model(parse: dict[str, Any], register: Register) -> Candidate | None:
    """The service a follow-up names, as the model hears it: its best service class, when
    the message is at least NAMED this likely about a service at all."""
    ranked = candidates(parse, register)
    if not ranked:
        return None
    service_share = sum(c.score for c in ranked)
    return ranked[0] if service_share >= NAMED and ranked[0].score >= NAMED / 2 else None


class ActionAnswerVariant(Action):
    """For another case ("а для ребёнка?", "а если я ИП?"): the subject's question. Another
    service when the case names one clearly, else the fact asked last (or who may apply) of
    the subject service."""

    def name(self) -> str:
        return "action_answer_variant"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        register = load().register
        language = language_of(tracker)
        text = str(tracker.latest_message.get("text") or "")
        subject = subject_of(tracker, register)
        if len(subject) != 1:
            return ask_which(dispatcher)
        service = subject[0]
        matches = register.search(f"{service.name[language]} {text}")
        own = next((m.score for m in matches if m.service.id == service.id), 0.0)
        if matches and matches[0].service.id != service.id and matches[0].score > own:
            return answer_with(dispatcher, matches[0].service, language, domain, None)
        # The fact asked last, for this case ("сколько стоит?" … "а для ребёнка?"); else who
        # may apply.
        previous = tracker.get_slot("answer") or {}
        fact = asked_fact(text) or previous.get("fact") or "who"
        return answer_with(dispatcher, service, language, domain, fact)
