"""The round-robin HTTP balancer used by the scale-out test (bench/balancer.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bench.balancer import Balancer
from tools.dev.stack import free_port


async def _backend(name: str) -> tuple[web.AppRunner, str]:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "backend": name,
                "method": request.method,
                "path": request.path_qs,
                "body": (await request.read()).decode(),
                "header": request.headers.get("X-Test"),
            },
            status=201,
            headers={"X-From": name},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def backends() -> AsyncIterator[list[str]]:
    started = [await _backend("a"), await _backend("b")]
    yield [url for _, url in started]
    for runner, _ in started:
        await runner.cleanup()


async def test_requests_take_turns_and_pass_through_unchanged(backends: list[str]) -> None:
    balancer = Balancer(backends)
    await balancer.start()
    try:
        async with httpx.AsyncClient(base_url=balancer.url) as client:
            answers = [
                await client.post(
                    "/webhooks/rest/webhook?token=t", content=f"body {n}", headers={"X-Test": "x"}
                )
                for n in range(4)
            ]
    finally:
        await balancer.stop()
    assert [a.json()["backend"] for a in answers] == ["a", "b", "a", "b"]
    assert [a.headers["X-Backend"] for a in answers] == ["0", "1", "0", "1"]
    assert all(a.status_code == 201 and a.headers["X-From"] == a.json()["backend"] for a in answers)
    assert answers[3].json() == {
        "backend": "b",
        "method": "POST",
        "path": "/webhooks/rest/webhook?token=t",
        "body": "body 3",
        "header": "x",
    }
    assert balancer.served == [2, 2]


async def test_a_backend_that_is_down_is_skipped(backends: list[str]) -> None:
    balancer = Balancer([f"http://127.0.0.1:{free_port()}", backends[1]])
    await balancer.start()
    try:
        async with httpx.AsyncClient(base_url=balancer.url) as client:
            answers = [(await client.get("/status")).json()["backend"] for _ in range(3)]
    finally:
        await balancer.stop()
    assert answers == ["b", "b", "b"]


async def test_no_backend_up_is_a_502() -> None:
    balancer = Balancer([f"http://127.0.0.1:{free_port()}"])
    await balancer.start()
    try:
        async with httpx.AsyncClient(base_url=balancer.url) as client:
            assert (await client.get("/")).status_code == 502
    finally:
        await balancer.stop()
