"""A small round-robin HTTP load balancer, for running several Rasa or action servers locally.

Each request goes to the next backend in turn (per request, not per connection), with its
method, path, query, headers and body; the answer comes back as the backend gave it, with an
`X-Backend` header naming which one answered. A backend that refuses the connection is
skipped (the request never reached it, so sending it to the next one is safe); any other
failure is the client's to see (502), because the backend may have acted on the request.

It is for the scale-out test (tests/integration/test_scale_out.py) and for trying a
scaled-out stack on one machine; deploy/ uses HAProxy in production.

    python -m bench.balancer --port 5005 http://127.0.0.1:5105 http://127.0.0.1:5205
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import threading
from collections.abc import Sequence

import aiohttp
from aiohttp import web

from tools.dev.stack import free_port

# Headers of one connection, not of the request: not passed on (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    }
)  # fmt: skip


class Balancer:
    """Round robin over `backends` (base URLs), serving on host:port (0: a free port)."""

    def __init__(self, backends: Sequence[str], host: str = "127.0.0.1", port: int = 0) -> None:
        if not backends:
            raise ValueError("a balancer needs at least one backend")
        self.backends = [url.rstrip("/") for url in backends]
        self.host, self.port = host, port or free_port()
        self.served = [0] * len(self.backends)
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        """Listen; returns the balancer's URL."""
        # No total timeout: a turn takes as long as it takes; the client has its own.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            # Idle connections are dropped before Sanic drops them (5 s), so that no request
            # is written onto a connection the backend is closing.
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=2.0),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._session:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for _ in self.backends:
            index = next(self._turn) % len(self.backends)
            url = self.backends[index] + request.rel_url.raw_path_qs
            try:
                async with self._session.request(
                    request.method, url, headers=headers, data=body, allow_redirects=False
                ) as answer:
                    payload = await answer.read()
                    reply = web.Response(
                        status=answer.status,
                        body=payload,
                        headers={
                            k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP
                        },
                    )
            except aiohttp.ClientConnectorError:
                continue  # never reached this backend: the next one may take it
            except aiohttp.ClientError as error:
                return web.json_response({"error": f"backend failed: {error!r}"}, status=502)
            reply.headers["X-Backend"] = str(index)
            self.served[index] += 1
            return reply
        return web.json_response({"error": "no backend is reachable"}, status=502)


class BackgroundBalancer:
    """A Balancer on its own thread and event loop, for synchronous code such as tests."""

    def __init__(self, backends: Sequence[str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.balancer = Balancer(backends, host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return self.balancer.url

    @property
    def served(self) -> list[int]:
        return list(self.balancer.served)

    def __enter__(self) -> BackgroundBalancer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.balancer.start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.balancer.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _serve(balancer: Balancer) -> None:
    await balancer.start()
    print(f"balancing {balancer.url} over {', '.join(balancer.backends)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await balancer.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Round-robin HTTP load balancer.")
    parser.add_argument("backends", nargs="+", help="base URLs, e.g. http://127.0.0.1:5105")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(Balancer(args.backends, args.host, args.port)))


if __name__ == "__main__":
    main()
