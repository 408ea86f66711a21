"""The deployment files (deploy/image, deploy/compose, deploy/k8s): valid for the tools that
read them, and asking only for what screener has: settings it reads, commands it runs, files
the repository holds, the port it serves. A typo in a SCREENER_* variable would otherwise be
ignored without a word."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import dockerfile
import jsonschema
import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from screener import local_kafka
from screener.cli import app
from tests.deploy_files import (
    COMPOSE,
    DEPLOY,
    DOCKERFILE,
    DOCKERIGNORE,
    IMAGE,
    K8S,
    ROOT,
    command_options,
    compose,
    k8s_resource,
    k8s_resources,
    screener_services,
    setting_names,
    settings_from,
)
from tests.monitoring import promtool

K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


# --------------------------------------------------------------------------- the image


def instructions(name: str) -> list[tuple[str, ...]]:
    return [c.value for c in dockerfile.parse_file(str(DOCKERFILE)) if c.cmd == name]


def image_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for values in instructions("ENV"):
        env.update(zip(values[::2], values[1::2], strict=True))
    return env


def test_the_dockerfile_parses_and_runs_the_worker_as_a_user():
    (entrypoint,) = instructions("ENTRYPOINT")
    (cmd,) = instructions("CMD")
    assert [*entrypoint, *cmd] == ["screener", "worker"]
    assert command_options(list(cmd)) == {}
    *_, user = instructions("USER")
    assert user[0] not in {"0", "root"}


def test_the_image_sets_only_settings_screener_reads_and_exposes_its_port():
    env = image_environment()
    screener_env = {k: v for k, v in env.items() if k.startswith("SCREENER_")}
    assert set(screener_env) <= setting_names()
    settings = settings_from(screener_env)
    assert settings.web_host == "0.0.0.0"  # reachable from outside the container
    ((port,),) = instructions("EXPOSE")
    assert int(port) == settings.web_port
    (volume,) = instructions("VOLUME")
    assert PurePosixPath(volume[0]) in PurePosixPath(settings.data_dir).parents


def test_the_build_context_holds_what_the_dockerfile_copies():
    """Dockerfile.dockerignore lets through only what the build copies."""
    let_through = {
        line.removeprefix("!").rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source
        for values in instructions("COPY")
        if not any(v.startswith("--from") for v in values)
        for source in values[:-1]
    }
    assert copied == let_through
    assert all((ROOT / source).exists() for source in copied)


def test_the_wheel_the_image_installs_carries_every_file_of_the_package(tmp_path: Path):
    """The image builds screener's wheel from the build context and installs it: the policy,
    the screening lists and the evaluation data must be in it, not only the modules."""
    tracked = subprocess.run(
        ["git", "ls-files", "screener"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    context = tmp_path / "context"  # what Dockerfile.dockerignore lets through
    for name in ("pyproject.toml", "README.md", *tracked):
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, context / name)
    wheel_of = ["pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", tmp_path]
    built = subprocess.run(
        [sys.executable, "-m", *wheel_of, context],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("screener-*.whl")
    with zipfile.ZipFile(wheel) as zipped:
        packed = set(zipped.namelist())
    assert sorted(set(tracked) - packed) == []


# --------------------------------------------------------------------------- compose


def compose_spec() -> dict:
    """The Compose Specification's JSON schema, as check-jsonschema keeps a copy of it (read
    from its files: its command line needs a newer click than faust allows)."""
    path = importlib.metadata.distribution("check-jsonschema").locate_file(
        "check_jsonschema/builtin_schemas/vendor/compose-spec.json"
    )
    return json.loads(Path(str(path)).read_text())


def test_the_compose_file_is_valid_for_compose():
    schema = compose_spec()
    validator = jsonschema.validators.validator_for(schema)(
        schema, format_checker=jsonschema.FormatChecker()
    )
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    # The check can fail: a key Compose does not know is refused.
    broken = compose()
    broken["services"]["worker"]["replica"] = 2
    assert not validator.is_valid(broken)


def test_the_compose_broker_is_the_kafka_the_tests_run():
    """tests/integration/test_deploy.py runs the compose broker's settings on deploy/kafka's
    Kafka: the same release."""
    image = compose()["services"]["kafka"]["image"]
    assert image == f"apache/kafka:{local_kafka.kafka_version()}"


def test_compose_builds_the_image_of_deploy_image():
    for service in screener_services().values():
        build = service["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", ["worker", "sample", "alerts"])
def test_each_compose_service_of_screener_runs_a_command_with_settings_it_reads(name: str):
    service = screener_services()[name]
    assert set(service["environment"]) <= setting_names()
    settings = settings_from({**image_environment(), **service["environment"]})
    host, port = settings.kafka_bootstrap.split(":")
    kafka = compose()["services"][host]
    assert f"PLAINTEXT://{host}:{port}" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    command_options(service["command"])


def test_the_compose_sample_stream_is_one_the_simulator_makes(tmp_path: Path):
    """The sample service's arguments, with the stream written to a file instead of Kafka."""
    out = tmp_path / "sample.jsonl"
    result = CliRunner().invoke(app, [*screener_services()["sample"]["command"], "--out", out])
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    assert len(lines) > 6_000 and "planted" in result.output


def mounted(service: dict) -> dict[str, Path]:
    """A compose service's bind mounts: target in the container -> source in the repository."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            found[target] = (COMPOSE.parent / source).resolve()
    return found


def test_compose_prometheus_config_and_rules_are_valid_where_they_are_mounted(tmp_path: Path):
    service = compose()["services"]["prometheus"]
    mounts = mounted(service)
    for target, source in mounts.items():
        assert source.exists(), source
        place = tmp_path / target.lstrip("/")
        place.parent.mkdir(parents=True, exist_ok=True)
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, place)
    config = tmp_path / "etc/prometheus/prometheus.yml"
    checked = promtool("check", "config", config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout + checked.stderr
    (job,) = yaml.safe_load(config.read_text())["scrape_configs"]
    (discovery,) = job["dns_sd_configs"]
    worker = settings_from({**image_environment(), **screener_services()["worker"]["environment"]})
    assert job["job_name"] == "screener"  # the rules and the dashboard select on it
    assert discovery["names"] == ["worker"] and discovery["port"] == worker.web_port


def test_compose_grafana_finds_the_dashboard_and_prometheus():
    services = compose()["services"]
    mounts = mounted(services["grafana"])
    assert all(source.exists() for source in mounts.values())
    providers = mounts["/etc/grafana/provisioning/dashboards"]
    (provider,) = yaml.safe_load(next(providers.glob("*.y*ml")).read_text())["providers"]
    assert mounts[provider["options"]["path"]] == (DEPLOY / "grafana/dashboards").resolve()
    (datasource,) = yaml.safe_load(
        mounts["/etc/grafana/provisioning/datasources/screener.yaml"].read_text()
    )["datasources"]
    published = services["prometheus"]["ports"][0].rsplit(":", 1)[-1]
    assert datasource["url"] == f"http://prometheus:{published}"


# --------------------------------------------------------------------------- k8s


def test_the_kustomization_lists_every_manifest():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    present = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == present


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_is_valid_for_kubernetes(version: str):
    resources = k8s_resources()
    assert {r["kind"] for r in resources} >= {"StatefulSet", "Service", "ConfigMap"}
    for resource in resources:
        kubernetes_validate.validate(resource, version, strict=True)


def test_the_workers_run_the_image_with_settings_screener_reads():
    pod = k8s_resource("StatefulSet")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == IMAGE
    command_options(container["args"])
    config = k8s_resource("ConfigMap")
    assert [source["configMapRef"]["name"] for source in container["envFrom"]] == [
        config["metadata"]["name"]
    ]
    env = {**config["data"], **{e["name"]: e["value"] for e in container["env"] if "value" in e}}
    assert set(env) | {e["name"] for e in container["env"]} <= setting_names()
    settings = settings_from({**image_environment(), **env})
    # The port the probes and Prometheus ask is the one the worker serves.
    (port,) = container["ports"]
    assert port["containerPort"] == settings.web_port
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == port["name"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    annotations = k8s_resource("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(settings.web_port)
    # The tables live on the worker's own volume: the root file system is read-only.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert any(PurePosixPath(m) in PurePosixPath(settings.data_dir).parents for m in mounts)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # The user the image runs as, owner of its home: the volume is given to its group.
    (user,) = instructions("USER")[-1]
    context = pod["securityContext"]
    assert f"{context['runAsUser']}:{context['runAsGroup']}" == user
    assert context["fsGroup"] == context["runAsGroup"]


def test_the_service_and_the_budget_select_the_workers():
    workers = k8s_resource("StatefulSet")
    labels = workers["spec"]["template"]["metadata"]["labels"]
    assert workers["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = k8s_resource("Service")
    assert workers["spec"]["serviceName"] == service["metadata"]["name"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert k8s_resource("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= (
        labels.items()
    )
    assert workers["spec"]["replicas"] <= settings_from({}).topic_partitions
