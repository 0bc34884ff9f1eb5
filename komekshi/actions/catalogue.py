"""What the actions know: the register, the topics' labels, the confidence floor.

Loaded once per process by `load()`, which the action server calls before it starts serving
(komekshi/actions/server.py) so that no citizen waits for it, and which tests call themselves;
nothing is loaded when the package is imported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from komekshi.core.embedding import DEFAULT_PATH, Embedder, is_built
from komekshi.core.language import Lang
from komekshi.core.settings import quality
from komekshi.core.vocabulary import class_of
from komekshi.knowledge.content import Content, short_name
from komekshi.knowledge.register import Register

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Knowledge:
    register: Register
    # The button title of every class a "did you mean …?" may offer: topics with a label,
    # every service (its name) and every life situation (its name).
    labels: dict[str, dict[Lang, str]]
    # The services each FAQ topic's answer covers (`faq/<topic>` → service ids).
    covers: dict[str, list[str]]
    # Classes at this confidence or more are offered as "did you mean …?" buttons.
    suggest_min: float


_loaded: list[Knowledge] = []


def load() -> Knowledge:
    """The register (searched by meaning too when the sentence model is built) and the
    content's labels; loaded on the first call, the same object afterwards."""
    if _loaded:
        return _loaded[0]
    if is_built(DEFAULT_PATH):
        register = Register.load(embedder=Embedder(DEFAULT_PATH))
        register.prepare()
    else:
        log.warning("No sentence model at %s: register search by spelling only", DEFAULT_PATH)
        register = Register.load()
    content = Content.load()
    labels = dict(content.labels())
    labels.update({class_of("service", s.id): short_name(s.name) for s in register.services})
    labels.update({class_of("situation", s.id): s.name for s in register.situations})
    suggest_min = float(quality()["confidence"]["suggest_min"])
    knowledge = Knowledge(register, labels, content.covers(), suggest_min)
    _loaded.append(knowledge)
    return knowledge
