"""Every Redis key Kömekshi writes, named in one place.

The bridges, the desk, the Rasa and action servers and the editors' tools share one Redis;
a key named twice drifts. All keys start with `komekshi:`:

- the citizens' channel: `backlog` (sorted set: chats with messages kept while Rasa was
  unreachable) with `backlog:<chat id>` and `backlog:lock:<chat id>`; `outbox` (sorted set:
  chats with messages waiting for Telegram) with `outbox:<chat id>`; `rate:<chat id>` and
  `rate:<chat id>:told` (the rate limit); `analytics` (hash of counters) and `unanswered`
  (stream of masked questions);
- the desk (komekshi/desk/cases.py says what each holds): `case:<id>`, `case_seq`,
  `active:<chat id>`, `queue`, `deferred`, `claimed`, `message:<message id>`,
  `topic:<thread id>`, `left:<case id>`, `transcript:<chat id>`, `language:<chat id>`,
  `chosen_language:<chat id>`, `turn:<chat id>`, `misses:<chat id>`, `resume`, `operators`,
  `metrics`, `recent_claims`;
- sentence vectors shared between processes: `e5:<model fingerprint>:<text hash>`;
- Rasa's tracker and lock stores: `endpoints.yml` gives them the prefix `komekshi`, and Rasa
  adds its own `tracker:` / `lock:`.
"""

from __future__ import annotations

PREFIX = "komekshi"


def key(*parts: object) -> str:
    """`komekshi:<part>:<part>…`"""
    return ":".join([PREFIX, *map(str, parts)])


BACKLOG = key("backlog")
OUTBOX = key("outbox")
RATE = key("rate")
ANALYTICS = key("analytics")
UNANSWERED = key("unanswered")
METRICS = key("metrics")
QUEUE = key("queue")
DEFERRED = key("deferred")
CLAIMED = key("claimed")


def vectors(fingerprint: str) -> str:
    """The prefix of one sentence model's shared vectors."""
    return key("e5", fingerprint) + ":"
