"""Custom Rasa actions: thin adapters from the dialogue to the `bot` package."""

from __future__ import annotations

import os

# Rasa calls this server over HTTP keep-alive connections, which its client (aiohttp) keeps
# idle for up to 15 s; Sanic closes an idle one after 5 s. A call Rasa writes onto a
# connection Sanic is just closing fails ("Cannot write to closing transport"), and Rasa
# neither retries it nor answers the citizen: 2 of 600 messages at 200 conversations at once
# (`make bench`). Keeping connections open longer here lets the client close them first.
KEEP_ALIVE_SECONDS = 75


def keep_connections_longer_than_rasa(app_name: str = "rasa_sdk") -> None:
    """Raise the keep-alive timeout of the action server's Sanic app (rasa-sdk creates it
    before importing this package, and starts it after), unless SANIC_KEEP_ALIVE_TIMEOUT
    says otherwise."""
    from sanic import Sanic
    from sanic.exceptions import SanicException

    if "SANIC_KEEP_ALIVE_TIMEOUT" in os.environ:
        return
    try:
        app = Sanic.get_app(app_name)
    except SanicException:  # not in the action server (tests, tools)
        return
    app.config.KEEP_ALIVE_TIMEOUT = max(app.config.KEEP_ALIVE_TIMEOUT, KEEP_ALIVE_SECONDS)


keep_connections_longer_than_rasa()
