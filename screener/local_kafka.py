"""A real, single-node Apache Kafka on 127.0.0.1 for tests and the demo.

No Docker and no Kafka download: the broker jars come from Maven Central through
``deploy/kafka/pom.xml`` (fetched once into a cache outside the repository), and the broker
runs as a plain ``java`` process in KRaft mode, detached from the caller so it outlives the
command that started it (``screener kafka up`` / ``down`` / ``status``).

State lives in ``state_dir`` (default ``.run/kafka``): ``server.properties``, ``data/``,
``kafka.log``, ``kafka.pid`` and ``broker.json``.

Environment:
  SCREENER_KAFKA_CACHE    jar cache root (default ``${XDG_CACHE_HOME:-~/.cache}/screener``)
  SCREENER_KAFKA_DEPLOY   folder with pom.xml and the templates (default ``<repo>/deploy/kafka``)
  JAVA_HOME               used before ``java`` on PATH
  KAFKA_HEAP_OPTS         JVM heap flags (default ``-Xmx512m``)

Stdlib only (no faust, no aiokafka) so the CLI can use it before anything else is importable.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["BrokerInfo", "LocalKafkaError", "down", "ensure_jars", "status", "up"]

HOST = "127.0.0.1"
JAVA_HINT = "install openjdk-17-jre-headless (apt-get install openjdk-17-jre-headless)"
MVN_HINT = "install maven (apt-get install maven)"
_MARKER = ".complete"


class LocalKafkaError(RuntimeError):
    """Anything that stops the local broker from being fetched, started or stopped."""


@dataclass(frozen=True)
class BrokerInfo:
    pid: int
    port: int
    bootstrap: str
    log_path: Path


# --------------------------------------------------------------------------- paths & tools


def deploy_dir() -> Path:
    env = os.environ.get("SCREENER_KAFKA_DEPLOY")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "deploy" / "kafka"


def kafka_version() -> str:
    """The Kafka version pinned in the pom (single source of truth)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(deploy_dir() / "pom.xml").getroot().find("m:properties/m:kafka.version", ns)
    if node is None or not node.text:
        raise LocalKafkaError(f"kafka.version missing from {deploy_dir() / 'pom.xml'}")
    return node.text.strip()


def default_cache_dir() -> Path:
    if env := os.environ.get("SCREENER_KAFKA_CACHE"):
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "screener"


def find_java() -> str:
    """Path of a Java 17+ ``java``; raise a one-line LocalKafkaError saying what to install."""
    home_java = Path(os.environ.get("JAVA_HOME") or "/nonexistent") / "bin" / "java"
    java = str(home_java) if home_java.is_file() else shutil.which("java")
    if not java:
        raise LocalKafkaError(f"Java 17+ not found: {JAVA_HINT}")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalKafkaError(f"Java at {java} does not run ({exc}): {JAVA_HINT}") from exc
    # `java -version` prints e.g. 'openjdk version "17.0.15"' or '"1.8.0_392"' on stderr.
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = (int(m.group(2) or 0) if m.group(1) == "1" else int(m.group(1))) if m else 0
    if major < 17:
        found = f"Java {major}" if major else "an unrecognised Java"
        raise LocalKafkaError(f"Java 17+ required, found {found} at {java}: {JAVA_HINT}")
    return java


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Serialises concurrent fetches / starts (e.g. two pytest sessions) on the same dir.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- jars


def ensure_jars(cache_dir: Path | None = None) -> Path:
    """Return ``<cache_dir>/kafka-<version>/lib``, running Maven once if it is missing.

    A marker file written after a successful copy tells complete caches from ones left by
    an interrupted fetch; an incomplete one is wiped and fetched again.
    """
    version = kafka_version()
    lib = (cache_dir or default_cache_dir()) / f"kafka-{version}" / "lib"
    if _jars_complete(lib, version):
        return lib
    with _locked(lib.parent / ".lock"):
        if _jars_complete(lib, version):  # another process fetched while we waited
            return lib
        java = find_java()  # Maven needs it too, and the jars are useless without it
        mvn = shutil.which("mvn")
        if not mvn:
            raise LocalKafkaError(f"Maven not found (needed once to fetch Kafka jars): {MVN_HINT}")
        shutil.rmtree(lib, ignore_errors=True)
        env = dict(os.environ, JAVA_HOME=str(Path(java).resolve().parent.parent))
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(deploy_dir() / "pom.xml"),
            "dependency:copy-dependencies",
            f"-Dkafka.lib.dir={lib}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise LocalKafkaError(
                f"mvn failed fetching Kafka {version} jars (exit {proc.returncode}): "
                f"{shlex.join(cmd)}\n{_tail(proc.stdout + proc.stderr)}"
            )
        jars = sorted(p.name for p in lib.glob("*.jar"))
        if f"kafka_2.13-{version}.jar" not in jars:
            raise LocalKafkaError(f"mvn succeeded but kafka_2.13-{version}.jar is not in {lib}")
        (lib / _MARKER).write_text(f"kafka {version}\n" + "\n".join(jars) + "\n")
    return lib


def _jars_complete(lib: Path, version: str) -> bool:
    marker = lib / _MARKER
    if not marker.is_file():
        return False
    lines = marker.read_text().splitlines()
    return (
        bool(lines)
        and lines[0] == f"kafka {version}"
        and all((lib / n).is_file() for n in lines[1:])
    )


# --------------------------------------------------------------------------- broker lifecycle


def up(
    port: int = 9092,
    controller_port: int | None = None,
    state_dir: Path = Path(".run/kafka"),
    timeout: float = 90,
    properties: str | None = None,
    format_args: Sequence[str] = (),
) -> BrokerInfo:
    """Start a fresh single-node broker on 127.0.0.1:port, or return the one already running.

    "Fresh" means the data dir is wiped and re-formatted: every ``up`` starts empty.
    ``controller_port`` defaults to ``port + 1`` (or any free port if that one is taken).
    ``properties`` replaces deploy/kafka/server.properties.template (same placeholders);
    ``format_args`` go to the storage format (``--add-scram`` credentials, say).
    Returns once the broker answers a Metadata request listing itself.
    """
    state_dir = Path(state_dir).resolve()
    with _locked(state_dir / ".lock"):
        if (running := status(state_dir)) is not None:
            return running
        down(state_dir)  # a recorded broker that is dead or not answering: clear it out

        lib = ensure_jars()
        java = find_java()
        _refuse_if_taken(port, state_dir)
        if controller_port is None:
            controller_port = port + 1 if _port_free(port + 1) else _any_free_port()
        else:
            _refuse_if_taken(controller_port, state_dir)

        data = state_dir / "data"
        shutil.rmtree(data, ignore_errors=True)
        props = state_dir / "server.properties"
        template = properties or (deploy_dir() / "server.properties.template").read_text()
        props.write_text(
            template.format_map({"port": port, "controller_port": controller_port, "log_dir": data})
        )
        log_path = state_dir / "kafka.log"
        log_path.write_text("")

        heap = shlex.split(os.environ.get("KAFKA_HEAP_OPTS", "-Xmx512m"))
        jvm = [
            java,
            *heap,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={deploy_dir() / 'log4j2.properties'}",
            "-cp",
            str(lib / "*"),
        ]
        # Static voters (controller.quorum.voters) => plain `format`, no --standalone.
        fmt = subprocess.run(
            [
                *jvm,
                *("kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props)),
                *format_args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        with log_path.open("a") as fh:
            fh.write(fmt.stdout + fmt.stderr)
        if fmt.returncode != 0:
            raise LocalKafkaError(
                f"formatting {data} failed (exit {fmt.returncode}):\n{_tail_file(log_path)}"
            )

        with log_path.open("a") as fh:
            # Own session/process group: Ctrl-C in the caller's terminal does not reach the
            # broker, and down() can signal the whole group.
            proc = subprocess.Popen(
                [*jvm, "kafka.Kafka", str(props)],
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=state_dir,
                start_new_session=True,
            )
        _children[proc.pid] = proc  # keeps the handle so an exited child is reaped, not a zombie
        info = BrokerInfo(proc.pid, port, f"{HOST}:{port}", log_path)
        (state_dir / "kafka.pid").write_text(f"{proc.pid}\n")
        (state_dir / "broker.json").write_text(
            json.dumps(
                {
                    **asdict(info),
                    "log_path": str(log_path),
                    "controller_port": controller_port,
                    "kafka_version": kafka_version(),
                    "started_at": datetime.now(UTC).isoformat(),
                },
                indent=2,
            )
            + "\n"
        )

        try:
            _wait_ready(proc, port, timeout, log_path)
        except BaseException:
            # Timed out, died or interrupted: leave nothing half-started behind.
            _stop(proc.pid, grace=10)
            _forget(state_dir)
            raise
        return info


def _wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if proc.poll() is not None:
            raise LocalKafkaError(
                f"Kafka exited with code {proc.returncode} during startup; last lines of "
                f"{log_path}:\n{_tail_file(log_path)}"
            )
        if time.monotonic() > deadline:
            raise LocalKafkaError(
                f"Kafka did not answer on {HOST}:{port} within {timeout:g}s; last lines of "
                f"{log_path}:\n{_tail_file(log_path)}"
            )
        time.sleep(0.2)


def down(state_dir: Path = Path(".run/kafka")) -> bool:
    """Stop the broker recorded in state_dir. True if one was running and is now stopped."""
    state_dir = Path(state_dir).resolve()
    pid = _recorded_pid(state_dir)
    was_running = pid is not None and _is_our_broker(pid)
    if was_running:
        _stop(pid, grace=30)
    _forget(state_dir)
    return was_running


def status(state_dir: Path = Path(".run/kafka")) -> BrokerInfo | None:
    """The broker recorded in state_dir if its process is alive and its port answers."""
    state_dir = Path(state_dir).resolve()
    pid = _recorded_pid(state_dir)
    if pid is None or not _is_our_broker(pid):
        return None
    try:
        rec = json.loads((state_dir / "broker.json").read_text())
        info = BrokerInfo(pid, int(rec["port"]), rec["bootstrap"], Path(rec["log_path"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if rec.get("pid") == pid and _answers(info.port) else None


# --------------------------------------------------------------------------- helpers

_children: dict[int, subprocess.Popen[bytes]] = {}


def _cluster_id() -> str:
    # Kafka's Uuid text form: url-safe base64 of 16 random bytes, no padding. Kafka refuses
    # ids starting with '-' (they look like CLI flags), so draw again in that case.
    while (cid := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())[0] == "-":
        pass
    return cid


def _recorded_pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _forget(state_dir: Path) -> None:
    for name in ("kafka.pid", "broker.json"):
        (state_dir / name).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if (child := _children.get(pid)) is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still "exists" for kill(0) but is no broker
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _is_our_broker(pid: int) -> bool:
    """Alive and really a Kafka JVM: guards against a recycled pid after a reboot."""
    if not _alive(pid):
        return False
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid


def _stop(pid: int, grace: float) -> None:
    """SIGTERM the broker's process group (clean shutdown), SIGKILL after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)  # pgid == pid thanks to start_new_session
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                _children.pop(pid, None)
                return
            time.sleep(0.1)
    raise LocalKafkaError(f"Kafka pid {pid} survived SIGKILL")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # With SO_REUSEADDR a port in TIME_WAIT (our last broker) binds; a LISTENing one does not.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def free_port_pair() -> int:
    """A free loopback port whose successor is free too: a broker's and its controller's,
    or a worker's web port and the next one, for tests and benchmarks."""
    for _ in range(50):
        port = _any_free_port()
        if _port_free(port + 1):
            return port
    raise LocalKafkaError(f"no pair of free ports on {HOST}")


def _refuse_if_taken(port: int, state_dir: Path) -> None:
    if _port_free(port):
        return
    what = "a Kafka broker" if _answers(port) else "another process"
    raise LocalKafkaError(
        f"port {HOST}:{port} is already in use by {what} not started from {state_dir}; "
        f"stop it or choose another port"
    )


def _answers(port: int, timeout: float = 2.0) -> bool:
    """True if a Kafka broker on HOST:port answers Metadata (v4) listing at least one broker.

    A raw request keeps this module free of asyncio; a KRaft broker lists itself only once it
    has caught up with the metadata log and is unfenced, i.e. ready for clients.
    """
    # Request: size, api_key=3 (Metadata), version=4, correlation id, client id,
    # topics=[] (empty, not null: no topic listing, no auto-creation), allow_auto_create=false.
    client_id = b"screener-probe"
    body = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id + struct.pack(">ib", 0, 0)
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", _recv(s, 4))[0]
            # Response: correlation id, throttle_time_ms, brokers array length, ...
            corr, _throttle, n_brokers = struct.unpack_from(">iii", _recv(s, size))
    except (OSError, struct.error):
        return False
    return corr == 7 and n_brokers > 0


def _recv(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _tail_file(path: Path, lines: int = 20) -> str:
    """Last lines of the log, preceded by its first ERROR line: with a Java stack trace the
    tail alone is often just frames, while the ERROR line says what went wrong."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = _tail(text, lines)
    first_error = next((ln for ln in text.splitlines() if "] ERROR " in ln), None)
    if first_error and first_error not in tail:
        return f"{first_error}\n...\n{tail}"
    return tail
