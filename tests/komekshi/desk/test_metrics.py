"""The desk's metrics, as Prometheus scrapes them from the bridge."""

from __future__ import annotations

import re
import uuid

import httpx
from redis.asyncio import Redis

from komekshi.desk import metrics
from komekshi.desk.cases import HandoffStore, Resolution
from tools.dev.stack import free_port

_SAMPLE = re.compile(r'^([a-z_]+)(\{[a-z_]+="[^"]*"\})? (-?[0-9.e+]+)$')


def _samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        samples[match[1] + (match[2] or "")] = float(match[3])
    return samples


async def test_a_closed_and_rated_case_shows_in_the_metrics(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = HandoffStore(redis)
    before = _samples(await metrics.render(redis))
    chat = uuid.uuid4().int % 10**9
    case, _ = await store.open_case(chat, language="kk", reason="complaint")
    during = _samples(await metrics.render(redis))
    assert during['komekshi_handoff_cases{status="waiting"}'] >= 1
    await store.claim(case.id, 1001)
    held = await store.case(case.id)
    assert held
    await store.close(held, Resolution.RESOLVED, 1001)
    await store.rate(case.id, chat, 5)
    after = _samples(await metrics.render(redis))

    def grew(name: str) -> float:
        return after[name] - before.get(name, 0)

    assert grew('komekshi_handoff_cases_opened_total{reason="complaint"}') == 1
    assert grew('komekshi_handoff_cases_closed_total{resolution="resolved"}') == 1
    assert grew("komekshi_handoff_time_to_claim_seconds_count") == 1
    assert grew("komekshi_handoff_handling_seconds_count") == 1
    assert grew('komekshi_handoff_rating_bucket{le="4"}') == 0
    assert grew('komekshi_handoff_rating_bucket{le="5"}') == 1
    assert grew("komekshi_handoff_rating_sum") == 5
    for histogram in ("time_to_claim_seconds", "handling_seconds", "rating"):
        name = f"komekshi_handoff_{histogram}"
        buckets = [v for k, v in after.items() if k.startswith(f"{name}_bucket")]
        assert buckets == sorted(buckets)
        assert after[f'{name}_bucket{{le="+Inf"}}'] == after[f"{name}_count"]


async def test_the_bridge_serves_them_over_http(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    port = free_port()
    runner = await metrics.serve(redis, "127.0.0.1", port)
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await runner.cleanup()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE komekshi_handoff_rating histogram" in response.text
