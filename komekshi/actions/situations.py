"""Life situations: their services, or a step-by-step guide, opened by a question or by news.

"У нас родилась двойня", "мама умерла, что делать с документами", "мы поженились": the model
learns each life situation as a class of its own, news included; the bot answers first with
the situation's opening (congratulations, condolences), then walks its guide, a Rasa form
that asks for each step whether it is done and shows the step's card when it is not.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from komekshi.actions.cards import card
from komekshi.actions.catalogue import load
from komekshi.actions.clarify import clarify
from komekshi.actions.confidence import ranking
from komekshi.actions.services import ActionAnswerService, service_button
from komekshi.actions.subject import answered, chosen, language_of, record, subject_services
from komekshi.core.language import Lang
from komekshi.core.vocabulary import Answer, answer_of
from komekshi.knowledge.register import GuideStep, LifeSituation
from komekshi.knowledge.yes_no import yes_or_no


def best_situation(tracker: Tracker) -> LifeSituation | None:
    """The situation a button chose, or the one the model ranks first, or (for a model
    without situation classes) the one the register's words name."""
    register = load().register
    button = chosen(tracker, "life_situation")
    if button:
        return register.situation(button)
    for label, _ in ranking(tracker.latest_message):
        answer = answer_of(label)
        if answer and answer[0] == "situation":
            return register.situation(answer[1])
    found = register.match_situation(str(tracker.latest_message.get("text") or ""))
    return found[0] if found else None


def _menu(situation: LifeSituation, language: Lang) -> dict[str, str]:
    return {
        "title": situation.name[language],
        "payload": f'/ask_life_situation{{"life_situation": "{situation.id}"}}',
    }


class ActionLifeSituation(Action):
    """A life situation: its opening, then its guide, or its services as buttons."""

    def name(self) -> str:
        return "action_life_situation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        register = load().register
        language = language_of(tracker)
        situation = best_situation(tracker)
        if situation is None:
            official = [s for s in register.situations if s.official]
            dispatcher.utter_message(
                response="utter_life_situation_choose",
                buttons=[_menu(s, language) for s in official],
            )
            return answered(Answer.CHOICE, options=[s.id for s in official])
        if situation.opening:
            dispatcher.utter_message(
                response="utter_situation_opening", opening=situation.opening[language]
            )
        subject = f"situation:{situation.id}"
        if situation.guide:
            dispatcher.utter_message(response="utter_guide_start", name=situation.name[language])
            first = situation.guide[0].service
            return [
                *answered(Answer.SITUATION, situation.id, subject=subject, services=[first]),
                SlotSet("guide", situation.id),
                SlotSet("guide_step", 0),
                SlotSet("guide_answer", None),
                FollowupAction("guide_form"),
            ]
        services = register.services_of(situation.id)
        dispatcher.utter_message(
            response="utter_life_situation_services" if services else "utter_life_situation_empty",
            name=situation.name[language],
            buttons=[service_button(s, language) for s in services],
        )
        ids = [s.id for s in services]
        return answered(Answer.SITUATION, situation.id, subject=subject, services=ids)


def _step(tracker: Tracker, offset: int = 0) -> GuideStep | None:
    situation = load().register.situation(tracker.get_slot("guide") or "")
    index = int(tracker.get_slot("guide_step") or 0) + offset
    if situation is None or index >= len(situation.guide):
        return None
    return situation.guide[index]


class ActionAskGuideAnswer(Action):
    """Ask the question of the guide's current step, with yes/no buttons."""

    def name(self) -> str:
        return "action_ask_guide_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        step = _step(tracker)
        if step is None:
            return [ActiveLoop(None)]
        dispatcher.utter_message(
            response="utter_guide_step", question=step.question[language_of(tracker)]
        )
        return []


def step_answered(
    value: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> dict[str, Any]:
    """The guide's step answered "yes" (done) or "no" (not yet: its card is shown); the
    slots that move the guide to its next step, or finish it.

    The subject is the service whose card was shown last; until one is shown, the step being
    asked about, so "а сколько стоит?" refers to what the citizen is looking at.
    """
    register = load().register
    language = language_of(tracker)
    step, following = _step(tracker), _step(tracker, 1)
    if step is None:
        return {"guide_answer": "done"}
    slots: dict[str, Any] = {"guide_step": int(tracker.get_slot("guide_step") or 0) + 1}
    service = register.get(step.service)
    if value == "no" and service:
        dispatcher.utter_message(
            response="utter_service_card", **card(service, language, domain["responses"])
        )
        slots.update(
            answer=record(Answer.SERVICE, service.id),
            service_ids=[service.id],
            subject_services=[service.id],
        )
    else:
        dispatcher.utter_message(response="utter_guide_step_done")
        kind = Answer.GUIDE_NEXT if following else Answer.GUIDE_DONE
        slots["answer"] = record(kind)
        if following and subject_services(tracker) == [step.service]:
            slots["subject_services"] = [following.service]
    slots["guide_answer"] = None if following else "done"
    return slots


class ValidateGuideForm(FormValidationAction):
    """Walk the guide: a step not yet done gets its service card, then the next question."""

    def name(self) -> str:
        return "validate_guide_form"

    async def validate_guide_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return step_answered(str(value), dispatcher, tracker, domain)


class ActionGuideInterrupt(Action):
    """A message during a guide that the model did not take for yes or no: a yes or a no in
    free words that names the step's service ("да, свидетельство уже получили") answers the
    step; anything else is answered as the question it is, and the guide asks its step again.
    """

    def name(self) -> str:
        return "action_guide_interrupt"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        value = yes_or_no(text)
        if value:
            return [SlotSet(name, v) for name, v in step_answered(value, dispatcher, tracker,
                                                                   domain).items()]  # fmt: skip
        intent = str(tracker.latest_message.get("intent", {}).get("name") or "")
        if intent == "ask_service":
            return await ActionAnswerService().run(dispatcher, tracker, domain)
        return clarify(dispatcher, tracker, domain, text)
