"""Security of the running stack: webhook secret, Rasa's token, private listening, no personal
numbers in logs or exports, and the per-citizen rate limit."""

from __future__ import annotations

import array
import contextlib
import fcntl
import itertools
import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from komekshi.core.settings import DEV_TOKEN, ROOT
from tests.conftest import MODEL
from tests.e2e.conftest import (
    OPERATOR,
    OPERATOR_IDS,
    OPERATORS_CHAT,
    WAIT,
    Hours,
    OperatorsChat,
    said,
    user_turns,
)
from tools.dev.emulator import EmulatorClient, User
from tools.dev.stack import Stack, free_port

_ids = itertools.count(50001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


# Rasa's HTTP API


def test_rasa_http_api_needs_the_token_but_the_rest_channel_does_not(
    stack: Stack, rasa_api: httpx.Client
) -> None:
    rasa = stack.config.rasa_url
    for path in ("/conversations/tg-1/tracker", "/status", "/domain"):
        assert httpx.get(f"{rasa}{path}").status_code == 401, path
        assert httpx.get(f"{rasa}{path}", params={"token": "guess"}).status_code == 401, path
    assert rasa_api.get("/conversations/tg-1/tracker").status_code == 200
    assert rasa_api.get("/status").status_code == 200
    forged = httpx.post(
        f"{rasa}/conversations/tg-1/tracker/events", json={"event": "pause"}, timeout=30
    )
    assert forged.status_code == 401
    replies = httpx.post(
        f"{rasa}/webhooks/rest/webhook",
        json={"sender": f"tg-{next(_ids)}", "message": "Сәлеметсіз бе"},
        timeout=30,
    ).json()
    assert replies and replies[0]["text"].startswith("Сәлеметсіз бе!")


# Private listening


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (from /proc/net/tcp*)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    if width == 8:
                        found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                    else:
                        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                        found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _machine_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback."""
    addresses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):
                answer = fcntl.ioctl(probe.fileno(), 0x8915, request)  # SIOCGIFADDR
                address = socket.inet_ntoa(array.array("B", answer[20:24]).tobytes())
                if not address.startswith("127."):
                    addresses.append(address)
    return addresses


def test_the_action_server_answers_on_this_machine_only(stack: Stack) -> None:
    port = stack.config.action_server_port
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    assert _listening_addresses(port) == {"127.0.0.1"}
    for address in _machine_addresses():
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
            pass


# Webhook mode


@pytest.fixture
def webhook_bridge(
    stack: Stack, hours_file: Hours, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, str]]:
    """A second bridge, in webhook mode, with an emulator of its own (and its own Redis
    database), beside the session's Rasa."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing")
    port = free_port()
    secret = secrets.token_urlsafe(32)
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": "",
        "EMULATOR_PORT": str(free_port()),
        "OPERATORS_CHAT_ID": str(OPERATORS_CHAT),
        "OPERATOR_IDS": ",".join(map(str, OPERATOR_IDS)),
        "OPERATORS_CONFIG": str(hours_file.path),
        "METRICS_PORT": "0",
        "REDIS_URL": stack.redis_url.rsplit("/", 1)[0] + "/1",
        "RASA_URL": stack.config.rasa_url,
        "RASA_TOKEN": stack.rasa_token,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/updates",
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_WEBHOOK_PORT": str(port),
    }
    run_dir = tmp_path_factory.mktemp("webhook")
    with Stack(environ, MODEL, run_dir, parts=("emulator", "bridge")) as running:
        yield running, secret


def _update(update_id: int, citizen: User, text: str) -> dict[str, object]:
    chat = {"id": citizen.id, "type": "private", "first_name": citizen.first_name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": citizen.as_api(),
            "text": text,
        },
    }


def test_webhook_mode_takes_updates_with_the_secret_only(
    webhook_bridge: tuple[Stack, str],
) -> None:
    bridge, secret = webhook_bridge
    url = bridge.config.telegram_webhook_url
    assert "receiving updates at" in bridge.log_path("bridge").read_text()
    with EmulatorClient(bridge.config.bot_api_url, DEV_TOKEN) as telegram:
        # Telegram (the emulator) posts with the secret given to setWebhook: answered.
        citizen = _citizen("Әсел")
        telegram.send_message(citizen.id, citizen, "Сәлеметсіз бе")
        [greeting] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
        assert greeting.text.startswith("Сәлеметсіз бе!")

        # Anyone else is refused, and nothing reaches the bot.
        forger = _citizen("Жалған")
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess-" + secret[:10]}):
            refused = httpx.post(url, json=_update(900_001, forger, "оператор"), headers=headers)
            assert refused.status_code == 403
        assert telegram.bot_messages(forger.id, timeout=3.0) == []

        # The same request with the secret is taken: the header is what decides.
        signed = httpx.post(
            url,
            json=_update(900_002, forger, "Сәлеметсіз бе"),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )
        assert signed.status_code == 200
        [greeting] = telegram.wait_bot_messages(forger.id, timeout=WAIT)
        assert greeting.text.startswith("Сәлеметсіз бе!")


def test_webhook_mode_without_a_secret_does_not_start() -> None:
    environ = {
        **os.environ,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.kz/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "",
    }
    started = subprocess.run(
        [sys.executable, "-m", "komekshi.channel.main"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "TELEGRAM_WEBHOOK_SECRET is required" in started.stderr


# Rate limit


def test_a_citizen_over_the_rate_limit_is_told_once_and_not_heard(
    telegram: EmulatorClient, stack: Stack, rasa_api: httpx.Client
) -> None:
    limit = stack.config.rate_limit_messages
    citizen = _citizen("Жылдам")
    for n in range(limit + 5):
        telegram.send_message(citizen.id, citizen, "/start" if n % 2 else "Сәлеметсіз бе")
    answers = telegram.wait_bot_messages(citizen.id, count=limit + 1, timeout=WAIT * 3)
    while more := telegram.bot_messages(citizen.id, timeout=3.0):
        answers += more
    told = [a for a in answers if a.text.startswith("Хабарламаларыңыз тым жиі келіп жатыр.")]
    assert len(told) == 1
    assert len([a for a in answers if a.text.startswith("Сәлеметсіз бе!")]) == limit
    seconds = int(re.findall(r"\d+", told[0].text)[0])
    assert 1 <= seconds <= stack.config.rate_limit_seconds
    assert told[0].text == said("utter_channel_rate_limited", "kk", seconds=seconds)
    # Dropped messages never reached Rasa.
    assert len(user_turns(rasa_api, citizen.id)) == limit


def test_operators_are_not_rate_limited(telegram: EmulatorClient, stack: Stack) -> None:
    count = stack.config.rate_limit_messages + 3
    for _ in range(count):
        telegram.send_message(OPERATOR.id, OPERATOR, "/start")
    answers = telegram.wait_bot_messages(OPERATOR.id, count=count, timeout=WAIT * 3)
    assert len(answers) == count
    assert not any(a.text.startswith("Вы отправляете сообщения слишком часто") for a in answers)


# Personal numbers

IIN = "950712400817"
PHONE = "+7 707 555 12 34"
PHONE_PLAIN = "87015553344"
CARD = "5169 4931 2345 6781"
SEEDS = (IIN, PHONE, PHONE_PLAIN, CARD)


def _pattern(seed: str) -> re.Pattern[str]:
    """A seed's digits in any grouping (spaces, dashes, brackets, escapes between them)."""
    digits = re.sub(r"\D", "", seed)
    return re.compile(r"\D{0,6}".join(digits))


def _leaks(text: str) -> list[str]:
    return [seed for seed in SEEDS if _pattern(seed).search(text)]


def _redis_dump(client: redis.Redis) -> str:
    """Every value under the bridge's `komekshi:` keys (Rasa's own conversations aside)."""
    values = []
    for raw_key in client.scan_iter("komekshi:*"):
        key = raw_key.decode()
        if key.startswith(("komekshi:tracker:", "komekshi:lock:")):
            continue
        kind = client.type(key).decode()
        if kind == "string":
            values.append(repr(client.get(key)))
        elif kind == "list":
            values.append(repr(client.lrange(key, 0, -1)))
        elif kind == "hash":
            values.append(repr(client.hgetall(key)))
        elif kind == "set":
            values.append(repr(client.smembers(key)))
        elif kind == "zset":
            values.append(repr(client.zrange(key, 0, -1)))
        elif kind == "stream":
            values.append(repr(client.xrange(key)))
    return "\n".join(values)


def test_no_personal_number_reaches_a_log_or_an_export(
    telegram: EmulatorClient,
    operators: OperatorsChat,
    stack: Stack,
    tmp_path: Path,
) -> None:
    caller = _citizen("Ислам")
    # Questions with numbers: understood, not understood (kept for review), to a person.
    for text in (
        f"как получить справку о несудимости, мой ИИН {IIN}",
        f"ыфвап {IIN} жлдоэ {PHONE}",
        f"щшгнр {CARD} ыфвап",
    ):
        asker = _citizen("Гүлмира")
        telegram.send_message(asker.id, asker, text)
        telegram.wait_bot_messages(asker.id, timeout=WAIT)
    telegram.send_message(caller.id, caller, f"Здравствуйте, мой телефон {PHONE_PLAIN}")
    telegram.wait_bot_messages(caller.id, timeout=WAIT)
    telegram.send_message(caller.id, caller, "позовите оператора пожалуйста")
    telegram.wait_bot_messages(caller.id, count=2, timeout=WAIT)
    card = operators.wait(lambda m: "Гражданин: Ислам\n" in m.text)
    assert "[phone]" in card.text and not _leaks(card.text)
    case = int(card.text.split("#")[1].split("\n")[0])
    telegram.press_button(OPERATORS_CHAT, OPERATOR, card.message_id, f"claim:{case}")
    telegram.wait_bot_messages(caller.id, timeout=WAIT)
    telegram.send_message(caller.id, caller, f"карта {CARD}, ИИН {IIN}")
    relayed = operators.wait(lambda m: m.text.startswith(f"💬 #{case} Ислам: карта"))
    assert not _leaks(relayed.text)
    # What an operator writes to the citizen reaches them as it is, and no log.
    telegram.send_message(OPERATORS_CHAT, OPERATOR, f"Позвоните на {PHONE_PLAIN}", card.message_id)
    [to_citizen] = telegram.wait_bot_messages(caller.id, timeout=WAIT)
    assert PHONE_PLAIN in to_citizen.text
    telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close resolved", card.message_id)
    telegram.wait_bot_messages(caller.id, count=2, timeout=WAIT)
    time.sleep(1.0)  # the last lines reach the logs

    logs = sorted(p for p in stack.logs.iterdir() if p.is_file())
    assert {"bridge.log", "rasa.log", "actions.log", "emulator.log"} <= {p.name for p in logs}
    for path in logs:
        assert not _leaks(path.read_text(errors="replace")), path.name

    environ = {**os.environ, "REDIS_URL": stack.redis_url, "PYTHONPATH": str(ROOT)}
    metrics = subprocess.run(
        [sys.executable, "-m", "komekshi.desk.metrics"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "komekshi_handoff_cases_opened_total" in metrics and not _leaks(metrics)

    store = redis.Redis.from_url(stack.redis_url)
    unanswered = repr(store.xrange("komekshi:unanswered"))
    assert re.search(r"\[(IIN|phone|card)\]", unanswered) and not _leaks(unanswered)
    assert not _leaks(_redis_dump(store))

    review = subprocess.run(
        [
            sys.executable,
            "-c",
            "import datetime, pathlib, sys, redis\n"
            "from tools.editors.review import run\n"
            "path = run(redis.Redis.from_url(sys.argv[1]), pathlib.Path(sys.argv[2]),"
            " datetime.date.today())\n"
            "print(path)\n",
            stack.redis_url,
            str(tmp_path / "review"),
        ],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    written = Path(review.stdout.strip().splitlines()[-1])
    text = written.read_text(encoding="utf-8")
    assert re.search(r"\[(IIN|phone|card)\]", text) and not _leaks(text)
