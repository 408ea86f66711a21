"""What the deployment files in deploy/ (image, compose, k8s) ask of screener and of Kafka,
read the way Docker, Compose and the Kafka image read them (tests/unit/test_deploy.py checks
them against the package; tests/integration/test_deploy.py runs the compose broker's
settings on the real broker)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
import yaml

from screener.cli import app
from screener.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "image/Dockerfile"
DOCKERIGNORE = DEPLOY / "image/Dockerfile.dockerignore"
COMPOSE = DEPLOY / "compose/compose.yaml"
K8S = DEPLOY / "k8s"
IMAGE = "screener"  # what compose and k8s call the image of deploy/image


def compose() -> dict[str, Any]:
    """The compose file with its YAML anchors and merge keys resolved, as Compose reads it."""
    return yaml.safe_load(COMPOSE.read_text())


def screener_services() -> dict[str, dict[str, Any]]:
    """Compose services that run the screener image."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image", "").split(":")[0] == IMAGE
    }


def setting_names() -> set[str]:
    """The environment variables screener reads (pydantic-settings ignores any other)."""
    prefix = Settings.model_config["env_prefix"]
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def settings_from(environment: Mapping[str, str]) -> Settings:
    """Settings as a process started with exactly `environment` would load them."""
    prefix = Settings.model_config["env_prefix"].upper()
    values = {
        key.removeprefix(prefix).lower(): value
        for key, value in environment.items()
        if key.startswith(prefix)
    }
    return Settings(_env_file=None, **values)


def command_options(args: list[str]) -> dict[str, Any]:
    """The options `screener ARGS` would run with, parsed by the CLI without running it; a
    usage error (or KeyError for an unknown command) when it would not start."""
    command = typer.main.get_command(app)
    name = "screener"
    while hasattr(command, "commands"):  # a group: the next word names its command
        name, *args = args
        command = command.commands[name]
    return command.make_context(name, list(args)).params


def kafka_properties(environment: Mapping[str, Any]) -> dict[str, str]:
    """The broker properties the apache/kafka image makes of KAFKA_* variables: the prefix
    dropped, lower case, `___` for `_`, `__` for `-` and `_` for `.`."""
    words = {"___": "_", "__": "-", "_": "."}
    return {
        re.sub(r"_+", lambda m: words[m.group()], key.removeprefix("KAFKA_").lower()): str(value)
        for key, value in environment.items()
        if key.startswith("KAFKA_")
    }


def with_addresses(value: str, hosts: Mapping[str, str], ports: Mapping[int, int]) -> str:
    """`value` with compose's host names and ports replaced (`kafka:9092` -> `127.0.0.1:N`)."""

    def moved(m: re.Match[str]) -> str:
        host, port = m.group(1), int(m.group(2))
        return f"{hosts.get(host, host)}:{ports.get(port, port)}"

    return re.sub(r"([\w.-]*):(\d+)", moved, value)


def k8s_resources() -> list[dict[str, Any]]:
    """Every resource the kustomization lists, in order."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [
        doc
        for name in kustomization["resources"]
        for doc in yaml.safe_load_all((K8S / name).read_text())
        if doc
    ]


def k8s_resource(kind: str) -> dict[str, Any]:
    (found,) = [r for r in k8s_resources() if r["kind"] == kind]
    return found
