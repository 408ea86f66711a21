"""What a failover costs, with and without standby replicas of the tables.

    .venv/bin/python -m bench.failover [--count 40000] [--rate 200] [--standby 0 1]

Prints figures and asserts nothing. For each number of standby replicas
(`SCREENER_STANDBY_REPLICAS`), on one broker, fresh topics and a fresh app id: two workers
screen `--count` declarations flat out, which fills their tables; then declarations come at
`--rate` for `--seconds`, and `--stop-after` seconds in the second worker is stopped. It stops
with SIGTERM and leaves the group at once, so what is measured is the takeover itself, not the
session timeout a crashed worker is waited for (`SCREENER_BROKER_SESSION_TIMEOUT`) before it
begins. Printed: how long until the survivor holds every partition with its state recovered
(`/health` 200), the most changelog records it had left to read meanwhile, and the latency of
the declarations that came before and after the stop.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import time
from itertools import islice
from pathlib import Path

from bench import rig
from bench.pipeline import PARTITIONS, console, fresh_group, samples, tail_seconds
from screener.observability.probe import http_get
from screener.sim.declarations import generate


def survivor_state(port: int) -> tuple[bool, float]:
    """(holds every partition with its state recovered, changelog records left to read)."""
    status, body = http_get(port, "/health")
    whole = status == 200 and len(json.loads(body)["assigned_partitions"]) == PARTITIONS
    left = sum(s.value for s in samples([port], "screener_state_recovery_remaining_changes"))
    return whole, left


async def takeover(port: int, timeout: float) -> tuple[float, float]:
    """Seconds until the survivor holds every partition, recovered; most records left."""
    started, most = time.monotonic(), 0.0
    await asyncio.sleep(1.0)  # the rebalance has not begun before the stopped worker has left
    while time.monotonic() - started < timeout:
        whole, left = await asyncio.to_thread(survivor_state, port)
        most = max(most, left)
        if whole:
            return time.monotonic() - started, most
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the survivor did not take over in {timeout:.0f} s")


def quantiles(values: list[int]) -> str:
    if not values:
        return "-"
    return (
        f"p50 {rig.percentile(values, 0.5):,.0f} ms, p99 {rig.percentile(values, 0.99):,.0f} ms, "
        f"max {values[-1]:,.0f} ms"
    )


async def one_config(
    standby: int,
    broker: rig.local_kafka.BrokerInfo,
    filling: list[rig.Message],
    live: list[rig.Message],
    args: argparse.Namespace,
) -> None:
    env = {"SCREENER_STANDBY_REPLICAS": str(standby)}
    group = await fresh_group("pipeline", 2, broker, f"failover{standby}", args, env)
    source, output = group.source, group.output
    console.rule(f"standby replicas {standby}")
    try:
        group.start()
        console.print(f"  group settled in {group.wait_settled(args.timeout):.1f} s")
        filled = time.monotonic()
        await rig.produce(broker.bootstrap, source, filling)
        await rig.wait_for(
            broker.bootstrap, output, PARTITIONS, len(filling), args.timeout, group.check_alive
        )
        await asyncio.sleep(args.settle)  # rows flushed, standbys caught up
        rows = sum(s.value for s in samples(group.ports, "screener_table_keys"))
        console.print(
            f"  {len(filling):,} declarations screened in {time.monotonic() - filled:.1f} s; "
            f"{rows:,.0f} table rows in the two workers' stores (standby copies included)"
        )

        producing = asyncio.create_task(rig.produce(broker.bootstrap, source, live, rate=args.rate))
        await asyncio.sleep(args.stop_after)
        stopped_ms = time.time() * 1000
        os.killpg(group.procs[1].pid, signal.SIGTERM)
        took, most = await takeover(group.ports[0], args.timeout)
        console.print(
            f"  second worker stopped; the survivor held all {PARTITIONS} partitions, "
            f"recovered, {took:.1f} s later; at most {most:,.0f} changelog records left to read"
        )
        await producing

        def survivor_alive() -> None:
            if group.procs[0].poll() is not None:
                raise RuntimeError(f"the survivor exited:\n{group.log_tail(0)}")

        total = len(filling) + len(live)
        await rig.wait_for(
            broker.bootstrap, output, PARTITIONS, total, args.timeout, survivor_alive
        )
        sent = await rig.timestamps(broker.bootstrap, source)
        ids = [m.trace_id for m in live]
        received = await rig.every_out(broker.bootstrap, output, ids, args.timeout, survivor_alive)
        lat = {i: received[i] - sent[i] for i in ids}
        before = sorted(v for i, v in lat.items() if sent[i] < stopped_ms)
        after = sorted(v for i, v in lat.items() if sent[i] >= stopped_ms)
        console.print(f"  latency before the stop: {quantiles(before)}")
        console.print(f"  latency after the stop:  {quantiles(after)}")
        console.print(f"  tail: {tail_seconds(sent, received, ids)}")
    finally:
        group.stop()


async def main_async(args: argparse.Namespace) -> None:
    console.print(f"machine: {rig.machine_facts()}")
    live_count = int(args.rate * args.seconds)
    per_config = args.count + live_count
    made = generate(per_config * len(args.standby), seed=args.seed, malformed_share=0.0)
    pool = [rig.Message(s.key, s.value, str(n)) for n, s in enumerate(made)]
    del made
    gc.collect()
    gc.freeze()  # a full collection over the pool would stall the paced producer
    with rig.fresh_broker(args.workdir / "kafka") as broker:
        console.print(f"broker {broker.bootstrap} (pid {broker.pid})")
        fresh = iter(pool)  # each config its own declarations: a repeated id is a copy
        for standby in args.standby:
            filling = list(islice(fresh, args.count))
            await one_config(standby, broker, filling, list(islice(fresh, live_count)), args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40_000, help="declarations before")
    parser.add_argument("--rate", type=float, default=200.0, help="declarations/s meanwhile")
    parser.add_argument("--seconds", type=float, default=40.0, help="of declarations at --rate")
    parser.add_argument("--stop-after", type=float, default=10.0, help="s into --seconds")
    parser.add_argument("--settle", type=float, default=5.0, help="s between filling and rate")
    parser.add_argument("--standby", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--store", default="rocksdb://", help="worker table store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600.0, help="per phase, s")
    parser.add_argument("--workdir", type=Path, help="keep logs and state here")
    rig.run_in_workdir(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
