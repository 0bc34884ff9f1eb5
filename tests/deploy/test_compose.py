"""deploy/: the production layout. Docker cannot run here, so the compose file is checked as
YAML: the services it must have and how they are wired together."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))
    return data


def _command(service: dict[str, Any]) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else str(command)


def test_it_has_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
        "redis", "lb", "rasa", "actions", "bridge",
    }  # fmt: skip


def test_redis_is_a_master_a_replica_and_three_sentinels(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "--appendonly yes" in _command(services["redis-master"])
    assert "--replicaof redis-master 6379" in _command(services["redis-replica"])
    for name in ("sentinel-1", "sentinel-2", "sentinel-3"):
        command = _command(services[name])
        assert "sentinel monitor komekshi redis-master 6379 2" in command
        assert "redis-sentinel" in command


def test_clients_reach_the_master_through_haproxy(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["redis"]
    assert proxy["image"].startswith("haproxy:")
    config = (DEPLOY / "haproxy-redis.cfg").read_text(encoding="utf-8")
    assert "role:master" in config
    assert re.search(r"server redis-master redis-master:6379 check", config)
    assert re.search(r"server redis-replica redis-replica:6379 check", config)
    for name in ("rasa", "actions", "bridge"):
        environment = compose["services"][name]["environment"]
        assert environment["REDIS_HOST"] == "redis"
        assert "@redis:6379/" in environment["REDIS_URL"]


def test_several_rasa_and_action_servers_behind_the_balancer(compose: dict[str, Any]) -> None:
    services = compose["services"]
    rasa, actions = services["rasa"], services["actions"]
    assert rasa["deploy"]["replicas"] >= 2
    assert actions["deploy"]["replicas"] >= 2
    command = _command(rasa)
    assert "--enable-api" in command
    assert "--auth-token=${RASA_TOKEN}" in command
    assert "--endpoints endpoints.yml" in command
    assert rasa["environment"]["ACTION_SERVER_URL"] == "http://lb:5055/webhook"
    assert services["bridge"]["environment"]["RASA_URL"] == "http://lb:5005"
    balancer = (DEPLOY / "haproxy.cfg").read_text(encoding="utf-8")
    assert "server-template rasa 8 rasa:5005 check" in balancer
    assert "server-template actions 8 actions:5055 check" in balancer
    assert "server-template bridge 4 bridge:8443 check" in balancer


def test_the_bridge_takes_updates_by_webhook(compose: dict[str, Any]) -> None:
    bridge = compose["services"]["bridge"]
    assert bridge["environment"]["TELEGRAM_WEBHOOK_URL"].startswith("${TELEGRAM_WEBHOOK_URL")
    assert bridge["environment"]["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0"
    assert bridge["deploy"]["replicas"] == 1
    assert _command(bridge) == "komekshi-bridge"


def test_rasa_shares_its_stores_as_deploy_readme_says() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert (
        endpoints["tracker_store"]["type"] == "komekshi.rasa_server.tracker_store.RedisTrackerStore"
    )
    assert endpoints["lock_store"]["type"] == "komekshi.rasa_server.lock_store.AtomicRedisLockStore"
    for store in ("tracker_store", "lock_store"):
        assert endpoints[store]["url"] == "${REDIS_HOST}"


def test_every_required_setting_is_in_the_example_env(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert required and required <= documented


def test_the_image_installs_as_make_install_does() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "requirements.lock" in dockerfile
    assert "--no-deps" in dockerfile
    assert "komekshi-sentence-model build" in dockerfile
    assert Path(DEPLOY / "Dockerfile.dockerignore").exists()
