"""The one place that decides whether a citizen's turn goes to a person, and why.

Rasa decides most handoffs and says why in the words of `Reason`: its payload carries a
`handoff` with the reason (komekshi/actions/handoff.py: the citizen asked for a person, or
accepted the offer of one after an out-of-scope question, a complaint or a message not
understood). One rule Rasa cannot see is the bridge's own: MISSES_FOR_HANDOFF turns in a
row not understood (`nlu_fallback` in the payload's intent) go to a person too, as
NOT_UNDERSTOOD. The case, its card, the metrics and the analytics all take the reason from
here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from komekshi.core.vocabulary import FALLBACK, Reason
from komekshi.desk.cases import Turn

log = logging.getLogger(__name__)

# Not understood this many turns in a row: a person takes over.
MISSES_FOR_HANDOFF = 2


@dataclass(frozen=True)
class Handoff:
    """A turn that goes to a person."""

    reason: Reason
    # The turn that led there, shown on the card: the one after which the citizen accepted
    # the offer of a person, else this one.
    cause: Turn
    # Rasa called the person and told the citizen so; else the bridge calls one in its stead.
    by_rasa: bool


def missed(turn: Turn) -> bool:
    """Whether the turn was not understood (and counts towards MISSES_FOR_HANDOFF)."""
    return turn.intent == FALLBACK


def requested(replies: list[dict[str, Any]]) -> Reason | None:
    """Why Rasa handed the turn off (its payload's `handoff.reason`); None if it did not."""
    handoff = next(
        (found for reply in replies if (found := (reply.get("custom") or {}).get("handoff"))),
        None,
    )
    if not handoff:
        return None
    said = handoff.get("reason") if isinstance(handoff, dict) else None
    try:
        return Reason(str(said))
    except ValueError:
        log.warning("Rasa handed off for an unknown reason %r: taken as a citizen's request", said)
        return Reason.CITIZEN_REQUEST


def decide(
    replies: list[dict[str, Any]], previous: Turn | None, turn: Turn, misses: int
) -> Handoff | None:
    """Whether this turn goes to a person, why, and after which turn (None: it does not).

    `previous` is the turn before (None for the first), `misses` how many turns in a row,
    this one included, were not understood.
    """
    reason = requested(replies)
    if reason is not None:
        # Any other reason than the citizen's request is an offer accepted after `previous`.
        offered = previous if previous is not None and reason != Reason.CITIZEN_REQUEST else None
        return Handoff(reason, offered or turn, by_rasa=True)
    if misses >= MISSES_FOR_HANDOFF:
        return Handoff(Reason.NOT_UNDERSTOOD, turn, by_rasa=False)
    return None
