"""The words every part of Kömekshi shares: intents, answer kinds, and the facts asked.

The model's intents, the actions that answer them, the REST payload that reports each turn,
the evaluation that scores it and the analytics that count it all speak of the same things;
they name them from here, so a name changes in one place.
"""

from __future__ import annotations

from enum import StrEnum

# Rasa's FallbackClassifier turns an unsure message into this intent.
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
REQUEST_HUMAN = "request_human"
COMPLAINT = "complaint"
EMERGENCY = "emergency"
# Retrieval intents: each class of theirs (`faq/hkko`, `ask_service/<id>`,
# `ask_life_situation/<id>`) is learnt on its own; the intent is as likely as its classes.
FAQ = "faq"
SERVICE = "ask_service"
SITUATION = "ask_life_situation"
RETRIEVAL_INTENTS = (FAQ, SERVICE, SITUATION)
# Follow-ups asking one fact of the subject of the conversation, and the fact each asks.
FACT_INTENTS = {
    "ask_fee": "fee",
    "ask_time": "processing_time",
    "ask_documents": "documents",
    "ask_where": "where",
    "ask_online": "online",
    "ask_who": "who",
}
# "нет, я про другое": the last answer was not what the citizen meant.
CORRECTION = "correct"
# Turns that ask nothing of the register.
SMALL_TALK = ("greet", "goodbye", "thanks", "bot_challenge", "help")


class Answer(StrEnum):
    """What the citizen got in a turn (the REST payload's `answer.kind`)."""

    SERVICE = "service"  # a service's card, or one fact of it (`fact`)
    FAQ = "faq"
    SITUATION = "situation"  # a life situation's services, or the start of its guide
    GUIDE_NEXT = "guide_next"  # a guide's step was done: the next one is asked
    GUIDE_DONE = "guide_done"
    GUIDE_STOP = "guide_stop"
    CHOICE = "choice"  # "which one?": the candidates as buttons (`options`)
    HANDOFF = "handoff"
    COMPLAINT = "complaint"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_UNDERSTOOD = "not_understood"
    EMERGENCY = "emergency"
    SMALL_TALK = "smalltalk"
    LANGUAGE = "language"
    OK = "ok"  # yes, no or stop with nothing to answer


class Reason(StrEnum):
    """Why a conversation went to a person: the same words from Rasa's `handoff` slot (the
    REST payload's `handoff.reason`) to the case, its card, the metrics and the analytics."""

    CITIZEN_REQUEST = "citizen_request"
    OUT_OF_SCOPE = "out_of_scope"  # the citizen accepted the offer after such a question
    # The citizen accepted the offer after a message not understood, or (decided by the
    # bridge, not Rasa) two turns in a row were not understood.
    NOT_UNDERSTOOD = "not_understood"
    COMPLAINT = "complaint"  # the citizen accepted the offer after complaining


# What a response sent by a rule (not by an action, which records its answer itself) gave.
RESPONSE_ANSWERS: dict[str, tuple[Answer, str | None]] = {
    **{f"utter_{intent}": (Answer.SMALL_TALK, intent) for intent in SMALL_TALK},
    f"utter_{EMERGENCY}": (Answer.EMERGENCY, None),
    f"utter_{COMPLAINT}": (Answer.COMPLAINT, None),
    f"utter_{OUT_OF_SCOPE}": (Answer.OUT_OF_SCOPE, None),
    "utter_default": (Answer.NOT_UNDERSTOOD, None),
    "utter_ok": (Answer.OK, None),
    "utter_guide_done": (Answer.GUIDE_DONE, None),
    "utter_guide_left": (Answer.GUIDE_STOP, None),
}


def class_of(kind: str, key: str) -> str:
    """The model's class for an answer: `ask_service/<id>`, `faq/<topic>`, …"""
    intent = {"service": SERVICE, "faq": FAQ, "situation": SITUATION}[kind]
    return f"{intent}/{key}"


def answer_of(label: str) -> tuple[str, str] | None:
    """The answer a class of the model stands for (`ask_service/x` → ("service", "x"))."""
    intent, _, key = label.partition("/")
    kind = {SERVICE: "service", FAQ: "faq", SITUATION: "situation"}.get(intent)
    return (kind, key) if kind and key else None
