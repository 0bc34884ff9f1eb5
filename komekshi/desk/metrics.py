"""How the operators' desk performs, in the Prometheus text format.

The bridge records, in Redis, every case opened (by reason, a `Reason`) and closed (by
resolution), the time from the queue to a claim, the handling time from the first claim to
closing, and the citizens' ratings (komekshi/desk/cases.py). This module turns them, with the
live queue, into metrics: served by the bridge at `http://METRICS_HOST:METRICS_PORT/metrics`
for Prometheus to scrape, and printed by `python -m komekshi.desk.metrics` for a one-off look
or an export. No personal data: only counts, durations and ratings.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from komekshi.channel import outbox
from komekshi.core import settings
from komekshi.core.keys import CLAIMED, DEFERRED, METRICS, QUEUE
from komekshi.desk.cases import RATINGS, SECONDS_BUCKETS, Resolution

NAMESPACE = "komekshi_handoff"


def _labels(counts: dict[str, float], field: str) -> Iterable[tuple[str, float]]:
    prefix = f"{field}:"
    return sorted(
        (key[len(prefix) :], value) for key, value in counts.items() if key.startswith(prefix)
    )


def _histogram(
    lines: list[str],
    counts: dict[str, float],
    name: str,
    field: str,
    buckets: Iterable[int],
    help_text: str,
) -> None:
    metric = f"{NAMESPACE}_{name}"
    lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
    cumulative = 0.0
    for bound in [*map(str, buckets), "+Inf"]:
        cumulative += counts.get(f"{field}:le:{bound}", 0)
        lines.append(f'{metric}_bucket{{le="{bound}"}} {cumulative:g}')
    lines.append(f"{metric}_sum {counts.get(f'{field}:sum', 0):g}")
    lines.append(f"{metric}_count {counts.get(f'{field}:count', 0):g}")


async def render(redis: Redis) -> str:
    """Every metric, as Prometheus reads it."""
    raw = await redis.hgetall(METRICS)
    counts = {key.decode(): float(value) for key, value in raw.items()}
    undelivered = await outbox.pending(redis)
    live = {
        "deferred": await redis.zcard(DEFERRED),
        "waiting": await redis.zcard(QUEUE),
        "claimed": await redis.scard(CLAIMED),
    }
    lines = [
        f"# HELP {NAMESPACE}_cases_opened_total Cases handed to operators, by reason.",
        f"# TYPE {NAMESPACE}_cases_opened_total counter",
        *(
            f'{NAMESPACE}_cases_opened_total{{reason="{reason}"}} {value:g}'
            for reason, value in _labels(counts, "opened")
        ),
        f"# HELP {NAMESPACE}_cases_closed_total Cases closed, by resolution.",
        f"# TYPE {NAMESPACE}_cases_closed_total counter",
        *(
            f'{NAMESPACE}_cases_closed_total{{resolution="{resolution}"}} '
            f"{counts.get(f'closed:{resolution}', 0):g}"
            for resolution in Resolution
        ),
        f"# HELP {NAMESPACE}_cases Open cases now: deferred (after hours), waiting, claimed.",
        f"# TYPE {NAMESPACE}_cases gauge",
        *(f'{NAMESPACE}_cases{{status="{status}"}} {value}' for status, value in live.items()),
        f"# HELP {NAMESPACE}_undelivered_messages Messages waiting for a retry to Telegram.",
        f"# TYPE {NAMESPACE}_undelivered_messages gauge",
        f"{NAMESPACE}_undelivered_messages {undelivered}",
    ]
    _histogram(
        lines, counts, "time_to_claim_seconds", "claim_seconds", SECONDS_BUCKETS,
        "Seconds from entering the queue to the first claim by an operator.",
    )  # fmt: skip
    _histogram(
        lines, counts, "handling_seconds", "handling_seconds", SECONDS_BUCKETS,
        "Seconds from the first claim to closing.",
    )  # fmt: skip
    _histogram(
        lines, counts, "rating", "rating", RATINGS, "Citizens' ratings of closed cases (1-5)."
    )
    return "\n".join(lines) + "\n"


async def serve(redis: Redis, host: str, port: int) -> web.AppRunner:
    """Serve GET /metrics until the returned runner is cleaned up."""

    async def metrics(_: web.Request) -> web.Response:
        text = await render(redis)
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _print() -> None:
    config = settings.load({**settings.read_dotenv(), **os.environ})
    redis = Redis.from_url(config.resolved_redis_url)
    try:
        print(await render(redis), end="")
    except RedisError as error:
        raise SystemExit(
            f"Redis at {config.resolved_redis_url} is not reachable: {error}"
        ) from error
    finally:
        await redis.close()


def main() -> None:
    """`komekshi-desk-metrics`: the metrics as Prometheus would read them, from Redis."""
    asyncio.run(_print())


if __name__ == "__main__":
    main()
