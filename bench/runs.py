"""What one run of the benchmark measured: every turn, and the run's summary for the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from komekshi.core.vocabulary import FACT_INTENTS

# Intents answered from the register by the action server.
REGISTER_INTENTS = frozenset({"ask_service", "ask_life_situation", *FACT_INTENTS, "ask_variant"})


@dataclass
class Turn:
    latency: float
    ok: bool
    error: str = ""
    intent: str = ""
    replies: int = 0


@dataclass
class Run:
    """One path at one load: every turn, and how long the whole run took."""

    path: str
    conversations: int
    messages_each: int
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0
    handed_off: int = 0
    foreign_cpu_cores: float = 0.0
    # CPU seconds of each process during the run.
    cpu_seconds: Counter[str] = field(default_factory=Counter)
    load_average: float = 0.0
    # Paced (open-loop) runs: messages a second offered, and the seconds they were sent over.
    rate: float | None = None
    window: float = 0.0

    @property
    def load(self) -> str:
        if self.rate:
            return f"{self.conversations} conversations, {self.rate:g} msg/s offered"
        return "sequential" if self.conversations == 1 else f"{self.conversations} concurrent"

    def summary(self) -> dict[str, Any]:
        latencies = sorted(t.latency * 1000 for t in self.turns if t.ok)
        errors = [t for t in self.turns if not t.ok]
        with_intent = [t for t in self.turns if t.intent]
        register_share = (
            sum(t.intent in REGISTER_INTENTS for t in with_intent) / len(with_intent)
            if with_intent
            else None
        )
        return {
            "path": self.path,
            "load": self.load,
            "conversations": self.conversations,
            "messages_per_conversation": self.messages_each,
            "messages": len(self.turns),
            "ok": len(latencies),
            "errors": len(errors),
            "error_examples": sorted({t.error for t in errors})[:5],
            "handed_off_conversations": self.handed_off,
            "seconds": round(self.seconds, 2),
            "offered_per_second": round(len(self.turns) / self.window, 2) if self.rate else None,
            "messages_per_second": round(len(latencies) / self.seconds, 2) if self.seconds else 0,
            "latency_ms": {
                "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95),
                "p99": percentile(latencies, 99),
                "mean": round(sum(latencies) / len(latencies), 1) if latencies else None,
                "max": round(latencies[-1], 1) if latencies else None,
            },
            "replies_per_message": round(sum(t.replies for t in self.turns) / len(self.turns), 2)
            if self.turns
            else 0,
            "register_share": round(register_share, 2) if register_share is not None else None,
            "cpu_ms_per_message": {
                name: round(seconds * 1000 / len(self.turns), 1)
                for name, seconds in self.cpu_seconds.items()
            }
            if self.turns
            else {},
            "other_processes_cpu_cores": round(self.foreign_cpu_cores, 2),
            "load_average_at_start": round(self.load_average, 2),
        }


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    rank = max(1, -(-len(values) * pct // 100))
    return round(values[int(rank) - 1], 1)
