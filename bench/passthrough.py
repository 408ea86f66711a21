"""The ceiling: a bare aiokafka consume-and-produce loop, one process of a consumer group.

    python -m bench.passthrough --bootstrap HOST:PORT --input T --output T --group G

Each record is parsed with orjson (the least any screener does with a declaration) and its
original bytes, key and headers are produced to the output topic. Offsets are committed per
fetched batch once every record of the batch is acknowledged (acks=all), so it keeps the same
at-least-once promise as the worker, only with batching the worker does not do.
`--assigned-file` receives the partitions this process holds after each rebalance; with
`--go-file` the process joins its group but fetches nothing until that file exists, so the
bench can fill the input topic first and measure a passthrough that starts with a backlog.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError


class Report(ConsumerRebalanceListener):
    """Writes the current assignment to a file, so the bench knows when the group settled."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def _write(self, partitions: list[int]) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(sorted(partitions)))
            tmp.replace(self.path)

    async def on_partitions_revoked(self, revoked) -> None:
        self._write([])

    async def on_partitions_assigned(self, assigned) -> None:
        self._write([tp.partition for tp in assigned])


async def run(args: argparse.Namespace) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=1_000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all")
    consumer.subscribe([args.input], listener=Report(args.assigned_file))
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while args.go_file is not None and not args.go_file.exists() and not stop.is_set():
            await asyncio.sleep(0.05)  # the group coordinator joins in the background meanwhile
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            deliveries = []
            for records in batches.values():
                for r in records:
                    orjson.loads(r.value)
                    deliveries.append(
                        await producer.send(
                            args.output, r.value, key=r.key, headers=list(r.headers)
                        )
                    )
            if deliveries:
                await asyncio.gather(*deliveries)
                try:
                    await consumer.commit()
                except CommitFailedError as exc:
                    # The group rebalanced meanwhile (a member late to a heartbeat on a busy
                    # machine): the partitions' new owner copies these records again, as a
                    # worker would after a rebalance. Logged: the run's count then holds copies.
                    print(f"commit failed, records copied again: {exc}", file=sys.stderr)
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--assigned-file", type=Path)
    parser.add_argument("--go-file", type=Path)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
