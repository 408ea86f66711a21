"""End-to-end throughput and latency of the screener pipeline against a bare aiokafka
passthrough of the same messages, on the same fresh broker, in the same run.

    .venv/bin/python -m bench.pipeline [--count 20000] [--paced-seconds 30] [--profile PHASE]

Prints figures and asserts nothing. For each configuration (passthrough with 1 and 2
processes, `screener worker` with 1 and 2 processes), on fresh topics and a fresh consumer
group, app id and state directory:

1. saturation  the processes are started and their group has settled on the empty input
               topic (6 partitions); then `--count` valid declarations from the simulator are
               produced flat out. The passthrough fetches nothing until they are all in (it
               copies the set `--passthrough-rounds` times, so that its run lasts long enough
               to time); the workers cannot be held back, but the producer is a hundred times
               faster than they are, so they too work from a backlog. Throughput = outputs /
               (last output - first output), on the outputs' LogAppendTime.
2. sweep       (workers) fresh declarations at each of `--sweep-rates` in turn, for
               `--sweep-seconds` each, up to the first rate whose p99 latency reaches
               `--kept-up-p99-ms`: the highest rate below is the *sustained* rate. Draining a
               backlog in large batches (1.) is cheaper per declaration than keeping up with a
               live stream in small ones, so the sustained rate is the honest maximum.
3. paced       the same processes, now fed fresh declarations at `--paced-share` (default
               half) of the sustained rate (of the saturation rate for the passthrough, or
               with `--sweep-rates` empty), for `--paced-seconds`. Latency = output
               LogAppendTime - input CreateTime, p50 / p95 / p99.
4. half max    (workers) the same, at half the saturation throughput (1.), for
               `--half-max-seconds`: the benchmark aim's "half of the maximum throughput" read
               literally. The passthrough's paced run (3.) is already at that rate.

The passthrough's output is its copy of each declaration; the pipeline's is its assessment.
Malformed declarations are left out (every input gives exactly one output); the
simulator's planted schemes are kept, so about 12 % of the declarations also raise an alert.
`--profile saturation` (or `paced`) records the first worker of each pipeline configuration
with py-spy during that phase (`pip install py-spy`) and prints where its CPU went; py-spy
costs some CPU too, so compare figures of runs without it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from bench import rig
from bench.profile_report import report
from screener import local_kafka
from screener.observability.probe import http_get
from screener.sim.declarations import generate

console = Console(highlight=False, width=110)
ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 6


@dataclass
class Group:
    """The processes of one configuration, each in its own process group."""

    kind: str  # "passthrough" or "pipeline"
    size: int
    bootstrap: str
    source: str
    output: str
    workdir: Path
    store: str
    env: dict[str, str] = field(default_factory=dict)  # more settings for the workers
    procs: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def go_file(self) -> Path:
        return self.workdir / "go"

    @property
    def name(self) -> str:
        return f"{self.kind} x{self.size}"

    def _spawn(self, i: int, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.workdir / f"{self.kind}-{i}.log").open("ab")
        return subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self) -> None:
        tag = self.workdir.name
        for i in range(self.size):
            if self.kind == "passthrough":
                argv = [sys.executable, "-m", "bench.passthrough", "--bootstrap", self.bootstrap]
                argv += ["--input", self.source, "--output", self.output, "--group", tag]
                argv += ["--assigned-file", str(self.workdir / f"assigned-{i}.json")]
                argv += ["--go-file", str(self.go_file)]
                self.procs.append(self._spawn(i, argv, dict(os.environ)))
                continue
            port = local_kafka.free_port_pair()
            self.ports.append(port)
            env = {
                **os.environ,
                "SCREENER_KAFKA_BOOTSTRAP": self.bootstrap,
                "SCREENER_APP_ID": tag,
                "SCREENER_DECLARATIONS_TOPIC": self.source,
                "SCREENER_ASSESSMENTS_TOPIC": self.output,
                "SCREENER_ALERTS_TOPIC": f"{tag}.alerts",
                "SCREENER_DEAD_LETTER_TOPIC": f"{tag}.dlq",
                "SCREENER_REFERENCE_TOPIC": f"{tag}.reference",
                "SCREENER_STORE": self.store,
                "SCREENER_WEB_PORT": str(port),
                "SCREENER_DATA_DIR": str(self.workdir / f"worker-{i}"),
                **self.env,
            }
            self.procs.append(self._spawn(i, [sys.executable, "-m", "screener", "worker"], env))

    def assignments(self) -> list[list[int]] | None:
        """Input partitions held by each process, None for one that is not ready."""
        held: list[list[int] | None] = []
        if self.kind == "passthrough":
            for i in range(self.size):
                path = self.workdir / f"assigned-{i}.json"
                held.append(json.loads(path.read_text()) if path.exists() else None)
        else:
            for port in self.ports:
                status, body = http_get(port, "/health")
                parts = json.loads(body)["assigned_partitions"] if status == 200 else None
                held.append(parts)
        return None if any(h is None for h in held) else held

    def wait_settled(self, timeout: float) -> float:
        """Until every input partition is held by exactly one process, 3 checks running."""
        started, settled = time.monotonic(), 0
        while settled < 3:
            self.check_alive()
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{self.name} not settled after {timeout:.0f} s")
            held = self.assignments()
            flat = [p for h in held or [] for p in h]
            ok = held is not None and len(flat) == len(set(flat)) == PARTITIONS
            settled = settled + 1 if ok else 0
            time.sleep(0.5)
        return time.monotonic() - started

    def check_alive(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                raise RuntimeError(f"{self.name}: process {i} exited:\n{self.log_tail(i)}")

    def log_tail(self, i: int, lines: int = 15) -> str:
        text = (self.workdir / f"{self.kind}-{i}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@dataclass
class Result:
    name: str
    kind: str
    size: int
    rate: float = 0.0  # declarations/s at saturation
    cpu_us: float = 0.0  # CPU of the group's processes per declaration, µs
    broker_cpu_us: float = 0.0
    records: float = 0.0  # Kafka records written per declaration (outputs, internal, changelogs)
    paced_target: float = 0.0
    paced_rate: float = 0.0
    paced_seconds: float = 0.0
    latency: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ms p50 p95 p99, paced
    sweep: list[PacedRun] = field(default_factory=list)
    sustained: float = 0.0  # the highest sweep rate kept up with (p99 under the bound)
    half_max: PacedRun | None = None  # workers: paced at half the saturation throughput
    profile: str = ""


def latencies(sent: dict[str, int], received: dict[str, int], ids: list[str]) -> list[int]:
    """Of declarations all out (`rig.every_out`)."""
    return sorted(received[i] - sent[i] for i in ids)


def start_profiler(pid: int, out: Path) -> subprocess.Popen | None:
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        console.print("  [yellow]py-spy not installed (.venv/bin/pip install py-spy): no profile")
        return None
    # --gil: only the thread holding the GIL, i.e. the CPU the worker spends in Python;
    # without it, threads waiting in epoll or for the GIL counted as busy (half the samples).
    argv = [str(spy), "record", "--pid", str(pid), "--rate", "200", "--nonblocking", "--gil"]
    argv += ["--format", "raw", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop_profiler(spy: subprocess.Popen | None, out: Path) -> str:
    if spy is None:
        return ""
    spy.send_signal(signal.SIGINT)
    spy.wait(60)
    return report(out.read_text()) if out.exists() else "py-spy wrote no profile"


async def fresh_group(
    kind: str,
    size: int,
    broker: rig.local_kafka.BrokerInfo,
    name: str,
    args: argparse.Namespace,
    env: dict[str, str] | None = None,
) -> Group:
    """A group (not started) on topics, a consumer group and a workdir of its own, all named
    `bench-<name>-<random>`; its output topic stamps LogAppendTime."""
    tag = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    workdir = args.workdir / tag
    workdir.mkdir()
    source, output = f"{tag}.declarations", f"{tag}.out"
    await rig.create_topics(broker.bootstrap, [source], PARTITIONS)
    await rig.create_topics(broker.bootstrap, [output], PARTITIONS, rig.LOG_APPEND_TIME)
    return Group(kind, size, broker.bootstrap, source, output, workdir, args.store, env or {})


async def run_config(
    kind: str, size: int, broker: rig.local_kafka.BrokerInfo, pool: list[rig.Message], args
) -> Result:
    result = Result(f"{kind} x{size}", kind, size)
    group = await fresh_group(kind, size, broker, f"{kind}{size}", args)
    bootstrap, source, output = group.bootstrap, group.source, group.output
    workdir = group.workdir
    tag = workdir.name  # the prefix of every topic of the run
    console.rule(result.name)
    try:
        group.start()
        console.print(f"  group settled in {group.wait_settled(args.timeout):.1f} s")

        # 1. saturation
        saturating = pool[: args.count]
        if kind == "passthrough":  # the same declarations again, so its run lasts to be timed
            saturating = [
                rig.Message(m.key, m.value, f"r{r}-{m.trace_id}")
                for r in range(args.passthrough_rounds)
                for m in saturating
            ]
        pids = [p.pid for p in group.procs]
        cpu = [rig.cpu_seconds(p) for p in [*pids, broker.pid]]
        spy = None
        if args.profile == "saturation" and kind == "pipeline":
            spy = start_profiler(pids[0], workdir / "profile.txt")
        produced = await rig.produce(bootstrap, source, saturating)
        group.go_file.touch()  # the passthrough waits for its backlog; workers cannot wait
        await rig.wait_for(
            bootstrap, output, PARTITIONS, len(saturating), args.timeout, group.check_alive
        )
        used = [rig.cpu_seconds(p) - c for p, c in zip([*pids, broker.pid], cpu, strict=True)]
        result.profile = stop_profiler(spy, workdir / "profile.txt")
        result.cpu_us = sum(used[:-1]) / len(saturating) * 1e6
        result.broker_cpu_us = used[-1] / len(saturating) * 1e6

        written = await rig.records_by_topic(bootstrap, tag)
        result.records = (sum(written.values()) - len(saturating)) / len(saturating)
        traces = [m.trace_id for m in saturating]
        received = await rig.every_out(bootstrap, output, traces, args.timeout, group.check_alive)
        out_times = sorted(received[t] for t in traces)
        result.rate = (len(out_times) - 1) / max(1e-3, (out_times[-1] - out_times[0]) / 1000)
        console.print(
            f"  saturation: {len(saturating):,} produced in {produced:.1f} s "
            f"({len(saturating) / produced:,.0f}/s); output at {result.rate:,.0f} decl/s "
            f"over {(out_times[-1] - out_times[0]) / 1000:.1f} s; CPU {result.cpu_us:,.0f} "
            f"µs/decl in the group, {result.broker_cpu_us:,.0f} in the broker; "
            f"{result.records:.1f} records written per declaration"
        )
        if kind == "pipeline":
            per = {t.removeprefix(tag): n / len(saturating) for t, n in written.items()}
            console.print("  per declaration: " + ", ".join(f"{t} {n:.1f}" for t, n in per.items()))

        # 2. a sweep of paced rates (pipeline): the highest it keeps up with on a live stream
        fresh = iter(pool[args.count :])  # fresh declarations only: a repeated id is a redelivery
        done = len(saturating)
        if kind == "pipeline" and args.sweep_rates:
            for rate in args.sweep_rates:
                batch = list(islice(fresh, int(rate * args.sweep_seconds)))
                run = await paced_run(group, tag, batch, rate, done, args, f"sweep {rate:,.0f}/s")
                done += len(batch)
                result.sweep.append(run)
                if run.latency[2] >= args.kept_up_p99_ms:
                    break
                result.sustained = run.rate

        # 3. paced, at a share of the sustained rate (or of the saturation rate)
        result.paced_target = args.paced_rate or args.paced_share * (
            result.sustained or result.rate
        )
        wanted = int(result.paced_target * args.paced_seconds)
        if kind == "pipeline":
            paced = list(islice(fresh, wanted))
        else:  # the passthrough does not care what it copies
            paced = [
                rig.Message(m.key, m.value, f"p{j}")
                for j, m in zip(range(wanted), iter_cycle(pool[args.count :]), strict=False)
            ]
        if len(paced) < wanted:
            console.print(f"  [yellow]paced run shortened to the {len(paced):,} fresh messages")
        spy = None
        if args.profile == "paced" and kind == "pipeline":
            spy = start_profiler(pids[0], workdir / "profile.txt")
        run = await paced_run(group, tag, paced, result.paced_target, done, args, "paced")
        done += len(paced)
        if spy is not None:
            result.profile = stop_profiler(spy, workdir / "profile.txt")
        result.paced_rate, result.paced_seconds, result.latency = run.rate, run.seconds, run.latency

        # 4. paced at half the saturation throughput (the passthrough's paced run is that)
        if kind == "pipeline" and args.half_max_seconds:
            rate = result.rate / 2
            wanted = int(rate * args.half_max_seconds)
            half = list(islice(fresh, wanted))
            if len(half) < wanted:
                console.print(f"  [yellow]half-max run shortened to {len(half):,} (--paced-pool)")
            if half:
                label = "half the saturation throughput"
                result.half_max = await paced_run(group, tag, half, rate, done, args, label)
    finally:
        group.stop()
    return result


@dataclass
class PacedRun:
    rate: float  # achieved input rate, declarations/s
    seconds: float
    latency: tuple[float, float, float]  # ms p50 p95 p99
    cpu_us: float  # of the group's processes per declaration
    records: float  # Kafka records written per declaration, beyond the input


def clock(epoch_ms: int) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch_ms / 1000))


def tail_seconds(sent: dict[str, int], received: dict[str, int], ids: list[str]) -> str:
    """When the slowest 1 % were produced: spread over the run (queueing) or bunched in a
    few seconds (a pause)."""
    start = min(sent[i] for i in ids)
    lat = {i: received[i] - sent[i] for i in ids}
    bound = rig.percentile(sorted(lat.values()), 0.99)
    by_second: dict[int, list[int]] = {}
    for i in ids:
        if lat[i] >= bound:
            by_second.setdefault((sent[i] - start) // 1000, []).append(lat[i])
    worst = sorted(by_second.items(), key=lambda kv: -len(kv[1]))[:4]
    return f"the slowest 1 % (>= {bound:.0f} ms) in {len(by_second)} of the run's seconds; " + (
        ", ".join(
            f"{len(v)} in second {t} (max {max(v)} ms, at {clock(start + t * 1000)})"
            for t, v in worst
        )
    )


async def paced_run(
    group: Group, tag: str, messages: list[rig.Message], rate: float, done: int, args, label: str
) -> PacedRun:
    """Produce `messages` at `rate`, wait for their outputs (`done` were out before), and
    print latency, CPU and records written; for workers also by stage and GC pauses."""
    bootstrap, pids = group.bootstrap, [p.pid for p in group.procs]
    stages_before, gc_before = stage_buckets(group.ports), gc_pauses(group.ports)
    flushes_before, batches_before = flushes(group.ports), batches(group.ports)
    written_before = await rig.records_by_topic(bootstrap, tag)
    cpu = [rig.cpu_seconds(p) for p in pids]
    seconds = await rig.produce(bootstrap, group.source, messages, rate=rate)
    total = done + len(messages)
    await rig.wait_for(bootstrap, group.output, PARTITIONS, total, args.timeout, group.check_alive)
    used = sum(rig.cpu_seconds(p) - c for p, c in zip(pids, cpu, strict=True))
    written = await rig.records_by_topic(bootstrap, tag)
    sent = await rig.timestamps(bootstrap, group.source)
    traces = [m.trace_id for m in messages]
    received = await rig.every_out(bootstrap, group.output, traces, args.timeout, group.check_alive)
    lat = latencies(sent, received, traces)
    run = PacedRun(
        len(messages) / seconds,
        seconds,
        tuple(rig.percentile(lat, q) for q in (0.5, 0.95, 0.99)),
        used / len(messages) * 1e6,
        (sum(written.values()) - sum(written_before.values()) - len(messages)) / len(messages),
    )
    console.print(
        f"  {label}: {len(messages):,} at {run.rate:,.0f}/s for {seconds:.0f} s; latency p50 "
        f"{run.latency[0]:.0f} ms, p95 {run.latency[1]:.0f} ms, p99 {run.latency[2]:.0f} ms; "
        f"CPU {run.cpu_us:,.0f} µs/decl in the group; {run.records:.1f} records written per "
        "declaration"
    )
    if group.kind == "pipeline":
        per = {
            t.removeprefix(tag): (n - written_before.get(t, 0)) / len(messages)
            for t, n in written.items()
        }
        console.print("    per declaration: " + ", ".join(f"{t} {n:.1f}" for t, n in per.items()))
        console.print(f"    tail: {tail_seconds(sent, received, [m.trace_id for m in messages])}")
        stages = stage_quantiles(stages_before, stage_buckets(group.ports))
        console.print(f"    by stage (worker histograms): {stages}")
        pauses = counted_summary(gc_before, gc_pauses(group.ports), "gen{}")
        console.print(f"    GC pauses: {pauses}")
        held = counted_summary(flushes_before, flushes(group.ports), seconds_of_run=seconds)
        console.print(f"    table flushes (each holds its agent while it lasts): {held}")
        console.print(f"    batches: {batch_summary(batches_before, batches(group.ports))}")
    return run


STAGES = ("screen", "history", "gather")


def samples(ports: list[int], metric: str) -> Iterator[Any]:
    """The samples of one metric family from every worker's /metrics."""
    for port in ports:
        status, body = http_get(port, "/metrics")
        if status != 200:
            continue
        for family in text_string_to_metric_families(body):
            if family.name == metric:
                yield from family.samples


def stage_buckets(ports: list[int]) -> dict[str, dict[float, float]]:
    """Cumulative bucket counts of screener_stage_latency_seconds, summed over the workers."""
    counts: dict[str, dict[float, float]] = {stage: {} for stage in STAGES}
    for sample in samples(ports, "screener_stage_latency_seconds"):
        if sample.name.endswith("_bucket"):
            by_le = counts[sample.labels["stage"]]
            le = float(sample.labels["le"])
            by_le[le] = by_le.get(le, 0.0) + sample.value
    return counts


def stage_quantiles(
    before: dict[str, dict[float, float]], after: dict[str, dict[float, float]]
) -> str:
    """p50/p99 of each stage between two scrapes, as the upper bound of the bucket they fall
    in (the histogram's resolution)."""
    parts = []
    for stage in STAGES:
        buckets = sorted(after[stage].items())
        total = buckets[-1][1] - before[stage].get(buckets[-1][0], 0.0) if buckets else 0
        found = []
        for q in (0.5, 0.99):
            bound = next(
                (le for le, n in buckets if n - before[stage].get(le, 0.0) >= q * total), None
            )
            found.append("-" if bound is None or not total else f"≤{bound * 1000:.0f}")
        parts.append(f"{stage} p50 {found[0]} p99 {found[1]}")
    return "; ".join(parts) + " ms"


def counted(ports: list[int], metric: str, label: str) -> dict[str, tuple[float, float]]:
    """(count, sum) by `label` of a histogram, summed over the workers."""
    found: dict[str, tuple[float, float]] = {}
    for sample in samples(ports, metric):
        key = sample.labels[label]
        n, total = found.get(key, (0.0, 0.0))
        if sample.name.endswith("_count"):
            n += sample.value
        elif sample.name.endswith("_sum"):
            total += sample.value
        found[key] = (n, total)
    return found


def gc_pauses(ports: list[int]) -> dict[str, tuple[float, float]]:
    return counted(ports, "screener_gc_pause_seconds", "generation")


def flushes(ports: list[int]) -> dict[str, tuple[float, float]]:
    return counted(ports, "screener_table_flush_seconds", "table")


def batches(ports: list[int]) -> dict[str, tuple[float, float]]:
    """(batches, records) by agent."""
    return counted(ports, "screener_batch_records", "agent")


def batch_summary(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]
) -> str:
    """Batches of each agent between two scrapes, and the records they took on average."""
    parts = []
    for agent, (n, records) in sorted(after.items()):
        n0, r0 = before.get(agent, (0.0, 0.0))
        if count := n - n0:
            parts.append(f"{agent} {count:,.0f} (mean {(records - r0) / count:.1f} records)")
    return ", ".join(parts) or "-"


def counted_summary(
    before: dict[str, tuple[float, float]],
    after: dict[str, tuple[float, float]],
    name: str = "{}",
    seconds_of_run: float | None = None,
) -> str:
    """Count, time and mean of each kind between two scrapes (and the share of the run)."""
    parts = []
    for kind, (n, seconds) in sorted(after.items()):
        n0, s0 = before.get(kind, (0.0, 0.0))
        count, spent = n - n0, seconds - s0
        mean = spent / count * 1000 if count else 0.0
        share = f", {spent / seconds_of_run:.0%} of the run" if seconds_of_run else ""
        parts.append(f"{name.format(kind)} {count:,.0f} ({spent:.2f} s, mean {mean:.1f} ms{share})")
    return ", ".join(parts) or "-"


def iter_cycle(items: list[rig.Message]):
    while True:
        yield from items


def summary(results: list[Result]) -> Table:
    ceiling = {r.size: r.rate for r in results if r.kind == "passthrough"}
    table = Table(title="pipeline vs passthrough (same broker, same messages, same run)")
    columns = ("config", "decl/s", "ratio", "CPU µs/decl", "sustained", "paced decl/s")
    for col in (*columns, "p50", "p95", "p99"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for r in results:
        ratio = f"{r.rate / ceiling[r.size]:.2f}" if r.size in ceiling else "-"
        table.add_row(
            r.name,
            f"{r.rate:,.0f}",
            ratio,
            f"{r.cpu_us:,.0f}",
            f"{r.sustained:,.0f}" if r.sustained else "-",
            f"{r.paced_rate:,.0f}",
            *(f"{v:.0f} ms" for v in r.latency),
        )
    return table


def half_max_table(results: list[Result]) -> Table:
    """Latency at half the saturation throughput: for the passthrough its paced run."""
    table = Table(title="at half the saturation throughput (the aim: p99 under 100 ms)")
    for col in ("config", "saturation decl/s", "paced decl/s", "p50", "p95", "p99"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for r in results:
        if r.half_max is not None:
            rate, latency = r.half_max.rate, r.half_max.latency
        elif r.kind == "passthrough":
            rate, latency = r.paced_rate, r.latency
        else:
            continue
        cells = (f"{v:.0f} ms" for v in latency)
        table.add_row(r.name, f"{r.rate:,.0f}", f"{rate:,.0f}", *cells)
    return table


def sweep_table(results: list[Result], bound: float) -> Table:
    table = Table(title=f"paced sweep: latency by rate (kept up with: p99 < {bound:,.0f} ms)")
    for col in ("config", "decl/s", "p50", "p95", "p99", "CPU µs/decl", "records/decl"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for r in results:
        for run in r.sweep:
            table.add_row(
                r.name,
                f"{run.rate:,.0f}",
                *(f"{v:.0f} ms" for v in run.latency),
                f"{run.cpu_us:,.0f}",
                f"{run.records:.1f}",
            )
    return table


async def warm_up(broker: rig.local_kafka.BrokerInfo, pool: list[rig.Message], args) -> None:
    """A fresh JVM runs slowly until it has compiled its hot paths: not in the first config.
    A bulk produce and read warms some; a pipeline's (small produce requests to many
    partitions, changelogs, a consumer group's fetches and commits) are others. So two workers
    screen a backlog and then a live stream first, unmeasured. Two workers measured first on
    a fresh broker had p99 229-236 ms in their first 30 s at 300 decl/s without this, 107-120
    ms with it, and 78-81 ms when measured again on the same broker (docs/benchmarks.md)."""
    await rig.create_topics(broker.bootstrap, ["bench-warm-up"], PARTITIONS)
    warm = await rig.produce(broker.bootstrap, "bench-warm-up", pool[: args.count])
    await rig.timestamps(broker.bootstrap, "bench-warm-up")
    console.print(f"broker warmed up: {args.count:,} records produced in {warm:.1f} s, read")
    live = pool[args.count : args.count + int(args.warm_up_rate * args.warm_up_seconds)]
    if not live:
        return
    group = await fresh_group("pipeline", 2, broker, "warm-up", args)
    source, output = group.source, group.output
    try:
        group.start()
        group.wait_settled(args.timeout)
        backlog = pool[: args.count]
        await rig.produce(broker.bootstrap, source, backlog)
        await rig.wait_for(
            broker.bootstrap, output, PARTITIONS, len(backlog), args.timeout, group.check_alive
        )
        await rig.produce(broker.bootstrap, source, live, rate=args.warm_up_rate)
        total = len(backlog) + len(live)
        await rig.wait_for(
            broker.bootstrap, output, PARTITIONS, total, args.timeout, group.check_alive
        )
    finally:
        group.stop()
    console.print(
        f"and two workers screened {args.count:,} declarations flat out on it, then "
        f"{len(live):,} at {args.warm_up_rate:,.0f}/s (not measured)"
    )


async def main_async(args: argparse.Namespace) -> None:
    console.print(f"machine: {rig.machine_facts()}")
    started = time.monotonic()
    samples = generate(args.count + args.paced_pool, seed=args.seed, malformed_share=0.0)
    pool = [rig.Message(s.key, s.value, str(n)) for n, s in enumerate(samples)]
    del samples
    # A full collection over the pool takes this process 40 to 120 ms: its paced producer
    # stalls, and the stall shows up as the pipeline's latency. The pool is set aside.
    gc.collect()
    gc.freeze()
    size = sum(len(m.value) for m in pool) / len(pool)
    console.print(
        f"{len(pool):,} valid declarations (seed {args.seed}, mean {size:,.0f} B): "
        f"{args.count:,} for saturation, the rest for the paced runs"
    )
    results = []
    with rig.fresh_broker(args.workdir / "kafka") as broker:
        console.print(f"broker {broker.bootstrap} (pid {broker.pid})")
        await warm_up(broker, pool, args)
        for kind in ("passthrough", "pipeline"):
            for size in args.processes:
                if kind == "passthrough" and args.skip_passthrough:
                    continue
                results.append(await run_config(kind, size, broker, pool, args))
    console.print()
    if any(r.sweep for r in results):
        console.print(sweep_table(results, args.kept_up_p99_ms))
    console.print(summary(results))
    if any(r.half_max for r in results):
        console.print(half_max_table(results))
    console.print(
        "decl/s: saturation throughput (a backlog drained); ratio: to the passthrough with as "
        "many processes; CPU: the configuration's processes, not the broker, at saturation; "
        "sustained: the highest sweep rate kept up with; paced: at --paced-share of the "
        "sustained rate (of the saturation rate without a sweep); p50/p95/p99: input "
        "CreateTime to output LogAppendTime"
    )
    for r in results:
        if r.profile:
            console.rule(f"profile: first worker of {r.name}, {args.profile}")
            console.print(r.profile, markup=False)
    console.print(f"total {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000, help="declarations at saturation")
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    parser.add_argument(
        "--paced-share", type=float, default=0.5, help="of the sustained (or saturation) rate"
    )
    parser.add_argument(
        "--half-max-seconds",
        type=float,
        default=30.0,
        help="workers: paced at half the saturation throughput, after the paced run; 0 skips",
    )
    parser.add_argument(
        "--paced-rate", type=float, default=0.0, help="declarations/s instead of a share"
    )
    parser.add_argument(
        "--paced-pool", type=int, default=110_000, help="fresh declarations for paced runs"
    )
    parser.add_argument(
        "--sweep-rates",
        type=float,
        nargs="*",
        default=[100, 200, 300, 400, 500, 600, 800],
        help="pipeline: paced rates tried in turn, up to the first not kept up with",
    )
    parser.add_argument("--sweep-seconds", type=float, default=20.0, help="per sweep rate")
    parser.add_argument(
        "--kept-up-p99-ms", type=float, default=500.0, help="a sweep rate is kept up with below"
    )
    parser.add_argument(
        "--passthrough-rounds", type=int, default=5, help="times the passthrough copies the set"
    )
    parser.add_argument(
        "--warm-up-seconds", type=float, default=20.0, help="of two workers on a live stream"
    )
    parser.add_argument("--warm-up-rate", type=float, default=200.0, help="declarations/s")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--store", default="rocksdb://", help="worker table store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600.0, help="per phase, s")
    parser.add_argument("--skip-passthrough", action="store_true")
    parser.add_argument(
        "--profile", choices=("saturation", "paced"), help="py-spy the first worker in this phase"
    )
    parser.add_argument("--workdir", type=Path, help="keep logs and state here")
    rig.run_in_workdir(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
