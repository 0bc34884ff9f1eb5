"""The action server's start-up (`komekshi-actions`, as `rasa run actions`): idle connections
outlast Rasa's and the register is loaded before the server answers, then rasa-sdk finds the
actions in this package by its own package registration.

rasa-sdk creates its Sanic app inside its `run`; its plugin hook `attach_sanic_app_extensions`
is the supported way in, so the start-up registers a plugin and nothing happens at import."""

from __future__ import annotations

import os
import sys

import pluggy
from rasa_sdk.__main__ import main as rasa_sdk_main
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic

from komekshi.actions import catalogue

PACKAGE = "komekshi.actions"
# Rasa calls this server over HTTP keep-alive connections, which its client (aiohttp) keeps
# idle for up to 15 s; Sanic closes an idle one after 5 s. A call Rasa writes onto a
# connection Sanic is just closing fails ("Cannot write to closing transport"), and Rasa
# neither retries it nor answers the citizen: 2 of 600 messages at 200 conversations at once
# (`make bench`). Keeping connections open longer here lets the client close them first.
KEEP_ALIVE_SECONDS = 75

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class StartUp:
    """rasa-sdk's plugin: prepares the app it is about to run."""

    @hookimpl  # type: ignore[misc]
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        prepare(app)


def prepare(app: Sanic) -> None:
    """Longer keep-alive (unless SANIC_KEEP_ALIVE_TIMEOUT says otherwise), and the register
    loaded before the first request, so that no citizen waits for it."""
    if "SANIC_KEEP_ALIVE_TIMEOUT" not in os.environ:
        app.config.KEEP_ALIVE_TIMEOUT = max(app.config.KEEP_ALIVE_TIMEOUT, KEEP_ALIVE_SECONDS)

    async def load_knowledge(*_: object) -> None:
        catalogue.load()

    app.register_listener(load_knowledge, "before_server_start")


def main() -> None:
    plugin_manager().register(StartUp())
    arguments = sys.argv[1:]
    if "--actions" not in arguments:
        arguments = ["--actions", PACKAGE, *arguments]
    sys.argv = ["rasa-sdk", *arguments]
    rasa_sdk_main()


if __name__ == "__main__":
    main()
