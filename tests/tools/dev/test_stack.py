"""The supervisor: private listening, Rasa's token, masked logs kept across restarts."""

from __future__ import annotations

import sys
from pathlib import Path

from tools.dev.stack import Process, Stack, _port_open, free_port

ENVIRON = {
    "REDIS_URL": "redis://127.0.0.1:6399/0",
    "RASA_URL": "http://localhost:5999",
    "ACTION_SERVER_URL": "http://localhost:5998/webhook",
}


def _stack(tmp_path: Path, **environ: str) -> Stack:
    return Stack({**ENVIRON, **environ}, tmp_path / "model.tar.gz", tmp_path / "run")


def test_the_action_server_listens_on_loopback_unless_told_otherwise(tmp_path: Path) -> None:
    [actions] = [p for p in _stack(tmp_path).processes if p.name == "actions"]
    assert actions.env == {"SANIC_HOST": "127.0.0.1"}
    [actions] = [
        p for p in _stack(tmp_path, ACTION_SERVER_HOST="0.0.0.0").processes if p.name == "actions"
    ]
    assert actions.env == {"SANIC_HOST": "0.0.0.0"}


def test_rasa_api_needs_a_token_generated_per_run_unless_given(tmp_path: Path) -> None:
    first, second = _stack(tmp_path), _stack(tmp_path)
    assert len(first.rasa_token) >= 32 and first.rasa_token != second.rasa_token
    [rasa] = [p for p in first.processes if p.name == "rasa"]
    assert f"--auth-token={first.rasa_token}" in rasa.command
    assert first.env["RASA_TOKEN"] == first.rasa_token  # the bridge's RasaPause sends it
    assert _stack(tmp_path, RASA_TOKEN="given-token").rasa_token == "given-token"


def test_numpy_computes_on_one_thread_in_every_process_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    assert _stack(tmp_path).env["OPENBLAS_NUM_THREADS"] == "1"
    assert _stack(tmp_path, OPENBLAS_NUM_THREADS="2").env["OPENBLAS_NUM_THREADS"] == "2"


def test_rasa_answers_with_a_worker_per_core_unless_told_otherwise(tmp_path: Path) -> None:
    assert _stack(tmp_path).env["SANIC_WORKERS"] == "2"
    assert _stack(tmp_path, SANIC_WORKERS="1").env["SANIC_WORKERS"] == "1"


def test_process_output_is_masked_and_kept_across_restarts(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    ready = tmp_path / "ready"
    script = (
        "import sys, time, pathlib\n"
        "print('ИИН 950712400817, тел. +7 707 555 12 34, карта 5169 4931 2345 6781', flush=True)\n"
        "print('Traceback: card=4400430123456789', file=sys.stderr, flush=True)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    stack.processes = [Process("talker", [sys.executable, "-c", script], ready.exists, timeout=30)]
    stack.start()
    try:
        assert stack.alive("talker")
        ready.unlink()
        stack.restart_process("talker")
    finally:
        stack.stop()
    assert not stack.alive("talker")
    logs = sorted(p.name for p in stack.logs.iterdir())
    assert logs == ["talker.log", "talker.log.1"]
    for name in logs:
        text = (stack.logs / name).read_text()
        assert "ИИН [IIN], тел. [phone], карта [card]" in text
        assert "card=[card]" in text
        for digits in ("950712400817", "555 12 34", "5169", "4400430123456789"):
            assert digits not in text
    assert (stack.run_dir / "rasa-token").read_text().strip() == stack.rasa_token
    assert (stack.run_dir / "rasa-token").stat().st_mode & 0o077 == 0


def test_kill_process_ends_it_at_once(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    port = free_port()
    script = (
        "import signal, socket, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
        "time.sleep(60)\n"
    )
    stack.processes = [
        Process("stubborn", [sys.executable, "-c", script], _port_open(port), timeout=30)
    ]
    stack.start()
    try:
        stack.kill_process("stubborn")
        assert not stack.alive("stubborn")
    finally:
        stack.stop()
