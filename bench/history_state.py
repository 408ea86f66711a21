"""What history state costs for N entities: row bytes, RocksDB on disk, changelog recovery.

    .venv/bin/python bench/history_state.py [--entities 1000000] [--skip-recovery]

Prints figures and asserts nothing.

1. rows      synthetic entity events for a mix of kinds, folded through `observe()` exactly
             as the history agent does, giving the row bytes the worker stores
2. disk      the rows written into one RocksDB with faust's store options, flushed and
             compacted; RSS of this process before and after holding the rows in a dict
3. recovery  the rows produced to the history changelog of a local broker, one
             `screener worker` started on an empty data dir and timed until it is healthy
             and has replayed the changelog
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from screener import local_kafka
from screener.core.history.entities import PARTY_ROLES_WITH_HISTORY, EntityEvent, Kind
from screener.core.history.state import observe
from screener.core.policy import load_policy
from screener.observability.probe import http_get

console = Console(highlight=False, width=110)

# --------------------------------------------------------------------------- the entity mix

MIX = (
    (Kind.PARTY, 0.70),
    (Kind.LANE, 0.15),
    (Kind.HS6, 0.05),
    (Kind.ADDRESS, 0.05),
    (Kind.FLOW, 0.05),
)
ROLE_WEIGHTS = (35, 35, 10, 12, 8)  # in the order of PARTY_ROLES_WITH_HISTORY
HOT_PARTY_SHARE = 0.0005  # large forwarders and traders: hundreds of declarations
PARETO_ALPHA = 1.5  # other kinds: events ~ Pareto, mean ~2.5, 1 in 1000 over 100
MAX_EVENTS = 600
COUNTRIES = (
    "CN US DE JP KR IN VN TH MY SG HK AE TR MX BR GB FR IT NL ES PL RU KZ KG AM GE UZ TW ID "
    "PH SA ZA NG EG CA AU CH SE BE AT"
).split()
HUB_COUNTRIES = frozenset("TH MX MY SG VN AE HK TW TR KZ KG AM GE UZ".split())
CHAPTERS = [f"{c:02d}" for c in range(1, 98) if c != 77]
END = 1_796_083_200  # 2026-12-01 UTC; events fall in the 120 days before
SPAN_DAYS = 120
DECLARATION_TYPES = ("EXP", "IMP", "REX", "TRN")
SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"]  # 75: coined names
PLACES = "Ningbo Shenzhen Izmir Almaty Dubai Penang Monterrey Hamburg Osaka Pune".split()
TRADES = "Trading Electronics Metals Logistics Industrial Materials Components Textiles".split()
STREETS = "Industrial Rd|Harbour St|Free Zone Ave|Technology Park|Logistics Blvd".split("|")


def coined(i: int) -> str:
    """A pronounceable word unique to i: distinct entities never share a name or address."""
    parts = []
    while True:
        i, r = divmod(i, len(SYLLABLES))
        parts.append(SYLLABLES[r])
        if i == 0:
            return "".join(parts)


def kind_of(index: int, n: int) -> tuple[str, int]:
    """The kind of entity `index` of `n`, and its index among entities of that kind."""
    start = 0
    for kind, share in MIX:
        size = round(n * share) if kind != MIX[-1][0] else n - start
        if index < start + size:
            return kind, index - start
        start += size
    raise IndexError(index)


def nth_route(j: int) -> list[str]:
    """The j-th distinct route: all direct lanes first, then one transit, then two, ..."""
    for length in range(2, len(COUNTRIES) + 1):
        total = math.perm(len(COUNTRIES), length)
        if j < total:
            break
        j -= total
    pool, path = list(COUNTRIES), []
    for _ in range(length):
        j, r = divmod(j, len(pool))
        path.append(pool.pop(r))
    return path


def random_route(rng: random.Random) -> list[str]:
    return rng.sample(COUNTRIES, rng.choice((2, 2, 2, 3, 3, 4)))  # mostly direct


def party_ref(rng: random.Random, role: str) -> str:
    cc = rng.choice(COUNTRIES)
    return f"party:{role}:{cc}:id:{cc}{rng.randrange(10**10):010d}"


def event_count(rng: random.Random, kind: str) -> int:
    if kind == Kind.PARTY:
        return rng.randint(100, 500) if rng.random() < HOT_PARTY_SHARE else rng.randint(1, 5)
    return min(MAX_EVENTS, int(rng.paretovariate(PARETO_ALPHA)))


@dataclass
class Profile:
    """What stays the same across one entity's declarations."""

    key: str
    kind: str
    role: str
    label: str
    country: str
    counterparties: list[str]
    routes: list[list[str]]
    chapters: list[str]
    controlled_share: float
    usd_per_kg: float


def profile(rng: random.Random, kind: str, j: int, groups: list[tuple[str, str]]) -> Profile:
    """Entity j of its kind, with a key shaped like the ones `scatter` makes."""
    cc = rng.choice(COUNTRIES)
    name = f"{rng.choice(PLACES)} {coined(j).title()} {rng.choice(TRADES)}"
    address = f"No. {rng.randint(1, 999)} {coined(j).title()} {rng.choice(STREETS)}"
    routes = [random_route(rng) for _ in range(rng.randint(1, 3))]
    chapters = rng.sample(CHAPTERS, rng.randint(1, 3))
    controlled = rng.choice((0.0, 0.0, 0.0, 0.05, 0.5))
    role = kind
    if kind == Kind.PARTY:
        role = rng.choices(PARTY_ROLES_WITH_HISTORY, ROLE_WEIGHTS)[0]
        who = f"id:{cc}{j:010d}" if rng.random() < 0.8 else f"name:{name.casefold()}"
        key, label = f"party:{role}:{cc}:{who}", f"{name} Co., Ltd."
    elif kind == Kind.LANE:
        routes = [nth_route(j)]
        label = ">".join(routes[0])
        key = f"lane:{label}"
    elif kind == Kind.HS6:
        hs6 = f"{1 + j % 97:02d}{j // 97:04d}"  # unique for j < 970,000
        key, label, chapters = f"hs6:{hs6}", hs6, [hs6[:2]]
    elif kind == Kind.ADDRESS:
        role = rng.choice(("consignee_address", "end_user_address"))
        key, label = f"address:{cc}:{address.casefold().replace('.', '')}", address
    else:
        # Real flow keys are group x country, a few thousand at most: past those a suffix
        # keeps keys distinct so the mix holds at any N.
        group = groups[j % len(groups)]
        hub = COUNTRIES[(j // len(groups)) % len(COUNTRIES)]
        n_real = len(groups) * len(COUNTRIES)
        suffix = "" if j < n_real else f":{j // n_real}"
        key, label = f"flow:{group[0]}:{hub}{suffix}", f"{group[1]} via {hub}"
        controlled = 1.0
    # The other side: an exporter's consignees, an address's occupants, everyone else's exporters.
    other = {
        "exporter": "consignee",
        "consignee_address": "consignee",
        "end_user_address": "end_user",
    }.get(role, "exporter")
    counterparties = [party_ref(rng, other) for _ in range(rng.randint(1, 4))]
    usd_per_kg = 10 ** rng.uniform(-0.5, 3)
    return Profile(
        key, kind, role, label, cc, counterparties, routes, chapters, controlled, usd_per_kg
    )


def events_of(rng: random.Random, p: Profile, count: int) -> list[EntityEvent]:
    """`count` declarations touching one entity, oldest first, as `scatter` would see them."""
    times = sorted(END - rng.randrange(SPAN_DAYS * 86_400) for _ in range(count))
    events = []
    for at in times:
        route = rng.choice(p.routes)
        chapters = tuple(sorted(rng.sample(p.chapters, rng.randint(1, len(p.chapters)))))
        controlled = rng.random() < p.controlled_share
        mass_g = int(10 ** rng.uniform(3, 7))
        common = {
            "key": p.key,
            "kind": p.kind,
            "role": p.role,
            "declaration_id": f"{p.country}-{rng.choice(DECLARATION_TYPES)}-2026-"
            f"{rng.randrange(10**7):07d}",
            "declared_at": at,
            "label": p.label,
            "counterparties": (rng.choice(p.counterparties),),
        }
        if p.kind == Kind.PARTY:
            e = EntityEvent(
                **common,
                route=">".join(route),
                countries=tuple(sorted(set(route))),
                hubs=tuple(sorted(HUB_COUNTRIES & set(route[1:]))) if controlled else (),
                chapters=chapters,
                controlled=controlled,
                mass_g=mass_g,
                controlled_mass_g=mass_g if controlled else 0,
                value_cents=int(mass_g / 1000 * p.usd_per_kg * 100),
            )
        elif p.kind == Kind.LANE:
            e = EntityEvent(
                **common,
                chapters=chapters,
                controlled=controlled,
                mass_g=mass_g,
                value_cents=int(mass_g / 1000 * p.usd_per_kg * 100),
            )
        elif p.kind == Kind.HS6:
            common["counterparties"] = ()
            lines = rng.randint(1, 3)
            values = tuple(
                (line, round(p.usd_per_kg * rng.lognormvariate(0, 0.4), 4))
                for line in range(1, lines + 1)
            )
            e = EntityEvent(**common, unit_values=values)
        elif p.kind == Kind.ADDRESS:
            e = EntityEvent(**common)
        else:
            e = EntityEvent(**common, controlled=True, mass_g=mass_g, controlled_mass_g=mass_g)
        events.append(e)
    return events


@functools.cache
def controlled_groups() -> list[tuple[str, str]]:
    return [(g.key, g.title) for g in load_policy().catalogue.groups]


def build_chunk(job: tuple[int, int, int, int]) -> tuple[list[tuple[bytes, bytes]], int]:
    """Rows of entities [start, stop) of n: each one's events folded through observe()."""
    start, stop, n, seed = job
    rng = random.Random(seed * 1_000_003 + start)
    groups = controlled_groups()
    rows, n_events = [], 0
    for index in range(start, stop):
        kind, j = kind_of(index, n)
        p = profile(rng, kind, j, groups)
        stored = None
        for e in events_of(rng, p, event_count(rng, kind)):
            stored, _features = observe(stored, e)
            n_events += 1
        rows.append((p.key.encode(), stored))
    return rows, n_events


# --------------------------------------------------------------------------- measuring


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) * 1024
    return out


def du(path: Path) -> int:
    """Bytes allocated on disk under path, as `du` counts them."""
    return sum(p.lstat().st_blocks * 512 for p in Path(path).rglob("*"))


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def rss(status: dict[str, int]) -> str:
    return f"{mib(status['VmRSS'])} (peak {mib(status['VmHWM'])})"


def percentile(sorted_values: list[int], q: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


@dataclass
class Figures:
    """Everything measured, for the summary."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.rows.append((name, value))
        console.print(f"  {name:<34} {value}")


# --------------------------------------------------------------------------- 1. rows


def build_rows(n: int, seed: int, jobs: int, figures: Figures) -> dict[bytes, bytes]:
    console.rule(f"1. rows: {n:,} entities")
    before = proc_status()
    chunk = 2_000
    work = [(s, min(s + chunk, n), n, seed) for s in range(0, n, chunk)]
    started = time.perf_counter()
    rows: dict[bytes, bytes] = {}
    n_events = 0
    # A pool that raises if one of its processes dies, rather than waiting forever.
    with ProcessPoolExecutor(jobs) as pool:
        for part, events in pool.map(build_chunk, work):
            rows.update(part)
            n_events += events
    elapsed = time.perf_counter() - started
    after = proc_status()
    sizes = sorted(len(k) + len(v) for k, v in rows.items())
    total = sum(sizes)
    figures.add("rows (distinct keys)", f"{len(rows):,}")
    figures.add("entity events observed", f"{n_events:,} ({n_events / n:.2f} per entity)")
    figures.add("row bytes, total (key + value)", mib(total))
    figures.add(
        "row size mean / p50 / p99 / max",
        f"{total / len(sizes):,.0f} / {percentile(sizes, 0.5):,} / "
        f"{percentile(sizes, 0.99):,} / {sizes[-1]:,} B",
    )
    figures.add("build time", f"{elapsed:,.1f} s on {jobs} processes")
    figures.add("this process RSS before build", mib(before["VmRSS"]))
    figures.add("this process RSS after build", rss(after))
    per = (after["VmRSS"] - before["VmRSS"]) / n
    figures.add("dict of bytes, RSS per entity", f"{per:,.0f} B ({mib(per * 1_000_000)} per 1M)")
    return rows


# --------------------------------------------------------------------------- 2. disk


def write_rocksdb(rows: dict[bytes, bytes], path: Path, figures: Figures) -> None:
    """The rows in one RocksDB opened with faust's options, in batches as recovery writes."""
    from faust.stores.rocksdb import RocksDBOptions
    from rocksdict import WriteBatch

    console.rule("2. disk: RocksDB")
    db = RocksDBOptions().open(path)
    started = time.perf_counter()
    batch = WriteBatch(raw_mode=True)
    for key, value in rows.items():
        batch.put(key, value)
        if batch.len() >= 10_000:
            db.write(batch)
            batch = WriteBatch(raw_mode=True)
    db.write(batch)
    db.flush(wait=True)
    written = time.perf_counter() - started
    size_flushed = du(path)
    db.compact_range(None, None)
    compacted = time.perf_counter() - started - written
    keys = db.property_int_value("rocksdb.estimate-num-keys")
    db.close()
    figures.add("write + flush time", f"{written:,.1f} s ({len(rows) / written:,.0f} rows/s)")
    figures.add("on disk after flush (du)", mib(size_flushed))
    figures.add("compaction time", f"{compacted:,.1f} s")
    size = du(path)
    figures.add("on disk after compaction (du)", f"{mib(size)} ({size / len(rows):,.0f} B/row)")
    figures.add("rocksdb estimate-num-keys", f"{keys:,}")


# --------------------------------------------------------------------------- 3. recovery


HISTORY_KEYS = 'screener_table_keys{table="history"}'
METRIC_LINE = re.compile(r"^(screener_[a-z_]+(?:\{[^}]*\})?) (\S+)$", re.M)


def screener_metrics(port: int) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in METRIC_LINE.finditer(http_get(port, "/metrics")[1])}


async def produce_changelog(
    bootstrap: str, topic: str, rows: dict[bytes, bytes], partitions: int, figures: Figures
) -> None:
    """Create the changelog compacted, then produce every row; the producer's default
    partitioner (murmur2 of the key, as Kafka's) picks each row's partition."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, partitions, 1, topic_configs={"cleanup.policy": "compact"})]
        )
        while True:  # until every partition has a leader
            (meta,) = await admin.describe_topics([topic])
            if all(p["leader"] >= 0 for p in meta["partitions"]):
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    per_partition = [0] * partitions
    started = time.perf_counter()
    try:
        in_flight = []
        for key, value in rows.items():
            in_flight.append(await producer.send(topic, value, key=key))
            if len(in_flight) >= 20_000:
                for meta in await asyncio.gather(*in_flight):
                    per_partition[meta.partition] += 1
                in_flight.clear()
        for meta in await asyncio.gather(*in_flight):
            per_partition[meta.partition] += 1
    finally:
        await producer.stop()
    elapsed = time.perf_counter() - started
    figures.add("produce time", f"{elapsed:,.1f} s ({len(rows) / elapsed:,.0f} msg/s)")
    figures.add("rows per changelog partition", " ".join(f"{c:,}" for c in per_partition))


def worker_env(settings, bootstrap: str, web_port: int, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SCREENER_KAFKA_BOOTSTRAP": bootstrap,
        "SCREENER_APP_ID": settings.app_id,
        "SCREENER_DECLARATIONS_TOPIC": settings.declarations_topic,
        "SCREENER_DEAD_LETTER_TOPIC": settings.dead_letter_topic,
        "SCREENER_ASSESSMENTS_TOPIC": settings.assessments_topic,
        "SCREENER_ALERTS_TOPIC": settings.alerts_topic,
        "SCREENER_INTERNAL_PARTITIONS": str(settings.internal_partitions),
        "SCREENER_WEB_PORT": str(web_port),
        "SCREENER_DATA_DIR": str(data_dir),
    }


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def time_recovery(
    env: dict[str, str],
    port: int,
    workdir: Path,
    timeout: float,
    rows: int,
    row_bytes: int,
    figures: Figures,
) -> None:
    """Start one worker on an empty data dir; time /health 200 and the end of recovery.

    The state gauges come from an app timer, and faust starts app timers only once the
    startup recovery is over: the first sample of screener_table_keys marks its end."""
    log_path = workdir / "worker.log"
    data_dir = Path(env["SCREENER_DATA_DIR"])
    started_wall, started = time.time(), time.monotonic()
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "screener", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        health: list[tuple[float, int]] = []  # (seconds, status) at each change
        healthy_at = recovered_at = None
        seen_recovering, max_remaining = False, 0.0
        while_503: set[float] = set()  # screener_state_recovering values served before 200
        while recovered_at is None:
            now = time.monotonic() - started
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited {proc.returncode}; see {log_path}")
            if now > timeout:
                raise TimeoutError(f"worker not recovered after {timeout:g}s; see {log_path}")
            status = http_get(port, "/health")[0]
            if not health or health[-1][1] != status:
                health.append((now, status))
            if healthy_at is None and status == 200:
                healthy_at = now
            m = screener_metrics(port)
            seen_recovering |= m.get("screener_state_recovering") == 1
            if status == 503 and "screener_state_recovering" in m:
                while_503.add(m["screener_state_recovering"])
            remaining = m.get("screener_state_recovery_remaining_changes", 0)
            max_remaining = max(max_remaining, remaining)
            if healthy_at is not None and HISTORY_KEYS in m and m["screener_state_recovering"] == 0:
                recovered_at = now
            time.sleep(0.25)
        time.sleep(2.5)  # a second sample of the gauges, once RocksDB has settled
        m = screener_metrics(port)
        status = proc_status(proc.pid)
        figures.add(
            "/health over time",
            ", ".join(f"{t:.1f}s:{code or 'no answer'}" for t, code in health),
        )
        figures.add("process start -> /health 200", f"{healthy_at:,.1f} s")
        figures.add("process start -> state gauges sampled", f"{recovered_at:,.1f} s")
        milestones = log_milestones(log_path, started_wall)
        for name, offset in milestones.items():
            figures.add(f"process start -> log '{name}'", f"{offset:,.1f} s")
        if len(milestones) >= 2:
            took = milestones[MILESTONES[1]] - milestones[MILESTONES[0]]
            figures.add(
                "faust recovery (log), rate",
                f"{took:,.1f} s ({rows / took:,.0f} rows/s, {mib(row_bytes / took)}/s)",
            )
        figures.add(
            "screener_state_recovering while 503",
            ", ".join(f"{v:g}" for v in sorted(while_503)) or "not served",
        )
        figures.add(
            "screener_state_recovering seen at 1",
            f"{'yes' if seen_recovering else 'no'} (max remaining_changes {max_remaining:,.0f})",
        )
        figures.add(
            "screener_state_last_recovery_seconds",
            f"{m.get('screener_state_last_recovery_seconds', float('nan')):,.1f} (0 = never set)",
        )
        figures.add("screener_table_keys{history}", f"{m.get(HISTORY_KEYS, float('nan')):,.0f}")
        figures.add("worker RSS after recovery", rss(status))
        figures.add("worker data dir after recovery (du)", mib(du(data_dir)))
    finally:
        stop_worker(proc)
    figures.add("worker data dir after stop (du)", mib(du(data_dir)))
    figures.add("history rows in worker's RocksDB", f"{count_table_rows(data_dir, 'history'):,}")
    report_worker_log(log_path)


def count_table_rows(data_dir: Path, table: str) -> int:
    """Exact row count of a table over its partition databases (faust's offset key aside)."""
    from rocksdict import AccessType, Options, Rdict

    total = 0
    for path in sorted(data_dir.rglob(f"{table}-*.db")):
        db = Rdict(str(path), Options(raw_mode=True), access_type=AccessType.read_only())
        keys = db.keys()  # iterating the Rdict itself fails in raw mode
        total += sum(key != b"__faust\x00offset__" for key in keys)
        db.close()
    return total


LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[(\w+)\] (.*)$")
MILESTONES = ("Restoring state from changelog topics", "Recovery complete", "Worker ready")


def log_milestones(log_path: Path, started_wall: float) -> dict[str, float]:
    """Seconds from process start to faust's own recovery milestones (first occurrence)."""
    found: dict[str, float] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if (m := LOG_LINE.match(line)) is None:
            continue
        for name in MILESTONES:
            if name in m[3] and name not in found:
                at = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found[name] = at - started_wall
    return {name: found[name] for name in MILESTONES if name in found}


def report_worker_log(log_path: Path) -> None:
    """Every WARNING/ERROR line of the worker's log, and any traceback."""
    lines = log_path.read_text(errors="replace").splitlines()
    problems = [
        ln
        for ln in lines
        if ln.startswith("Traceback")
        or ((m := LOG_LINE.match(ln)) and m[2] in ("WARNING", "ERROR", "CRITICAL"))
    ]
    console.print(f"  worker log: {len(lines):,} lines, {len(problems)} warning/error lines")
    for line in problems[:30]:
        console.print(f"    {line.strip()[:240]}", markup=False)


def recovery(rows: dict[bytes, bytes], workdir: Path, timeout: float, figures: Figures) -> None:
    from screener.settings import Settings
    from screener.stream.topics import ensure_pipeline_topics

    console.rule("3. recovery: local broker + one worker")
    state_dir = workdir / "kafka"
    try:
        port = local_kafka.free_port_pair()
        broker = local_kafka.up(port=port, controller_port=port + 1, state_dir=state_dir)
        settings = Settings(
            _env_file=None, kafka_bootstrap=broker.bootstrap, app_id=f"bench-{uuid.uuid4().hex[:8]}"
        )
        asyncio.run(ensure_pipeline_topics(settings))
        changelog = f"{settings.app_id}-history-changelog"
        asyncio.run(
            produce_changelog(
                broker.bootstrap, changelog, rows, settings.internal_partitions, figures
            )
        )
        web_port = local_kafka.free_port_pair()
        env = worker_env(settings, broker.bootstrap, web_port, workdir / "worker-data")
        row_bytes = sum(len(k) + len(v) for k, v in rows.items())
        time_recovery(env, web_port, workdir, timeout, len(rows), row_bytes, figures)
    finally:
        local_kafka.down(state_dir)


# --------------------------------------------------------------------------- main


def summary(figures: Figures, n: int) -> None:
    table = Table(title=f"history state, {n:,} entities")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.rows:
        table.add_row(name, value)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build processes")
    parser.add_argument("--skip-recovery", action="store_true")
    parser.add_argument("--recovery-timeout", type=float, default=600, help="seconds")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, data)")
    args = parser.parse_args()
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the worker and broker stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    workdir = Path(tempfile.mkdtemp(prefix="screener-bench-"))
    figures = Figures()
    try:
        rows = build_rows(args.entities, args.seed, args.jobs, figures)
        write_rocksdb(rows, workdir / "rocksdb", figures)
        if not args.skip_recovery:
            recovery(rows, workdir, args.recovery_timeout, figures)
    finally:
        summary(figures, args.entities)
        if args.keep:
            console.print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
