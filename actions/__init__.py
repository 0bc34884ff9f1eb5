"""Custom Rasa actions, split by feature: services, topics, life situations, clarification,
language, handoff. rasa-sdk's action server imports this package and registers every Action
it finds in its modules."""

from __future__ import annotations

import os

# Rasa calls this server over HTTP keep-alive connections, which its client (aiohttp) keeps
# idle for up to 15 s; Sanic closes an idle one after 5 s. A call Rasa writes onto a
# connection Sanic is just closing fails ("Cannot write to closing transport"), and Rasa
# neither retries it nor answers the citizen: 2 of 600 messages at 200 conversations at once
# (`make bench`). Keeping connections open longer here lets the client close them first.
KEEP_ALIVE_SECONDS = 75


def prepare_action_server(app_name: str = "rasa_sdk") -> None:
    """The action server's start-up, run once when rasa-sdk imports this package (it creates
    its Sanic app before the import and starts it after): connections are kept open longer
    than Rasa keeps them (unless SANIC_KEEP_ALIVE_TIMEOUT says otherwise), and the register
    is loaded before the server answers, so that no citizen waits for it."""
    from sanic import Sanic
    from sanic.exceptions import SanicException

    try:
        app = Sanic.get_app(app_name)
    except SanicException:  # not in the action server (tests, tools)
        return
    if "SANIC_KEEP_ALIVE_TIMEOUT" not in os.environ:
        app.config.KEEP_ALIVE_TIMEOUT = max(app.config.KEEP_ALIVE_TIMEOUT, KEEP_ALIVE_SECONDS)

    async def load_knowledge(*_: object) -> None:
        from actions.knowledge import load

        load()

    app.register_listener(load_knowledge, "before_server_start")


prepare_action_server()
