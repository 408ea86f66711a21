"""Analysts' verdicts on alerts, back into the history of what each alert was about.

A case tool sends a disposition (`screening-disposition` v1) of an alert: diversion confirmed
(`true_hit`) or the alert cleared (`false_positive`). It is recorded on the row of every
entity the alerted declaration was judged against (`Alert.entities`: its parties, address,
lane, goods, documents), where the features of later declarations see it
(`CONFIRMED_DIVERSION_BEFORE`).

Gather sends a note of each alert it publishes (its ids, entities and indicators: `notes`)
to the dispositions hop, in the same request as the alert. Two agents:

  disposition-intake  the dispositions topic -> the hop, as it came; one that cannot be read,
                      to the dispositions' dead-letter topic
  dispositions        the hop -> the `alerted` table (declaration id -> its alert ids,
                      entities, indicators, the latest verdict). A disposition of an alert
                      noted there goes to its entities' rows on the entity topic (recorded by
                      the history agent, once per declaration and verdict); of one never
                      noted, to the dead-letter topic with reason `unknown-alert`. An
                      amendment alerted after the verdict takes it to its new entities.

A row is kept for `SCREENER_DISPOSITION_WINDOW_S` after its latest alert; a timer deletes
older ones (`forget_old`), through the changelog like any other write.

The hop and the table have one partition: alerts are a small share of declarations and
dispositions come at a person's pace, while every partition a worker subscribes to costs it
CPU in every fetch, busy or not (twelve more idle ones cost a worker a sixth more CPU per
declaration at 100 a second). One partition also puts an alert and its dispositions together
whatever partitioner the case tool's producer used. Each batch publishes what it caused, the
table's changelog records included, and waits for the broker before its rows reach the local
store and its input is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
import orjson
from faust.types import TP

from screener.core.alerted import UnknownAlert, judged, newly_decided, noted
from screener.core.intake import RejectCode, Rejection, parse_contract
from screener.models import Disposition
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.batches import incoming
from screener.stream.envelopes import (
    Outgoing,
    Output,
    dead_disposition,
    fitted,
    incoming_from,
    origin_of,
)
from screener.stream.hops import Outbox, items_of
from screener.stream.sending import Message, Publish, hop, published
from screener.stream.table_writes import TableWrites, read

log = logging.getLogger(__name__)

# Dispositions come at a person's pace and alerts are only noted for them: both agents take
# what came within a second in one batch (one produce round trip), not each alert as it
# comes, which at a tenth of declarations alerting doubled the worker's batches.
DISPOSITIONS_BATCH_WAIT_S = 1.0
PARTITIONS = 1  # of the hop and the table
READ_CHUNK, READ_PAUSE_S = 500, 0.005  # the sweep of old rows, paced

Item = dict[str, Any]


def alert_note(value: bytes | None) -> Item | None:
    """What the dispositions of an alert need of it; None for what is no alert."""
    try:
        alert = orjson.loads(value or b"")
        return {
            "t": "alerted",
            "declaration_id": str(alert["declaration_id"]),
            "alert_id": str(alert["alert_id"]),
            "declared_at": int(datetime.fromisoformat(alert["declared_at"]).timestamp()),
            "assessed_at": int(datetime.fromisoformat(alert["assessed_at"]).timestamp()),
            "entities": [str(e) for e in alert.get("entities", [])],
            "indicators": [str(hit["code"]) for hit in alert["indicators"]],
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


@dataclass
class Decided:
    """What one batch of the hop decided."""

    rows: dict[str, Item]  # declaration id -> its row as the batch left it
    to_entities: Outbox
    dead: list[Outgoing]
    verdicts: list[tuple[str, list[str]]]  # (verdict, the alert's indicators), newly recorded

    def send(self, declaration_id: str, row: Item, entities: Iterable[str]) -> None:
        """The row's verdict, to the rows of `entities`."""
        for entity in entities:
            self.to_entities.add(
                entity,
                {
                    "t": "disposition",
                    "key": entity,
                    "declaration_id": declaration_id,
                    "verdict": row["verdict"],
                    "declared_at": row["declared_at"],
                },
            )


def decide(
    items: Sequence[tuple[int, Item]], load: Callable[[int, str], Item | None], partitions: int
) -> Decided:
    """The hop's items (with their partition) against the table rows `load` gives: what to
    write, send and dead-letter. No Kafka here."""
    decided = Decided({}, Outbox(partitions), [], [])
    for partition, item in items:
        key = item["declaration_id"]
        row = decided.rows.get(key) or load(partition, key)
        if item["t"] == "alerted":
            decided.rows[key] = after = noted(row, item)
            decided.send(key, after, newly_decided(row, after))
            continue
        try:
            after = judged(
                row,
                item["alert_id"],
                item["verdict"],
                decided_at=item["decided_at"],
                analyst=item["analyst"],
            )
        except UnknownAlert:
            record = incoming_from(item["origin"], item["raw"].encode("latin-1"))
            why = (
                f"alert {item['alert_id']} of declaration {key} was never published here, or "
                "longer ago than the disposition window"
            )
            decided.dead.append(dead_disposition(record, Rejection(RejectCode.UNKNOWN_ALERT, why)))
            continue
        if after is None:
            continue  # a copy, or the same verdict again: recorded once
        decided.rows[key] = row = after
        decided.send(key, row, row["entities"])
        decided.verdicts.append((item["verdict"], row["indicators"]))
    return decided


def expired(value: bytes, before: float) -> bool:
    """Whether a stored row's latest alert was published before `before`."""
    return _published_at(orjson.loads(value)) < before


async def paced(rows: Iterable[tuple[bytes, bytes]]) -> AsyncIterator[tuple[bytes, bytes]]:
    """The rows, a chunk at a time with a pause between chunks for the agents."""
    for n, row in enumerate(rows):
        yield row
        if n % READ_CHUNK == READ_CHUNK - 1:
            await asyncio.sleep(READ_PAUSE_S)


def _published_at(row: Item) -> float:
    return row.get("assessed_at", row["declared_at"])  # rows noted before it was kept


class Dispositions:
    """The two agents' batches (`intake`, `batch`), and what they publish to."""

    def __init__(
        self,
        settings: Settings,
        table: faust.Table,
        publish: Publish,
        hop_topic: faust.TopicT,
        entity_topic: faust.TopicT,
        outputs: Mapping[Output, faust.TopicT],
        dead_letter_limit: int,
    ) -> None:
        self.settings = settings
        self.table = table
        self.publish = publish
        self.hop_topic = hop_topic
        self.entity_topic = entity_topic
        self.outputs = outputs
        self.dead_letter_limit = dead_letter_limit
        self.lock = asyncio.Lock()  # a batch, or the sweep of old rows

    def notes(self, outgoing: Sequence[Outgoing]) -> list[Message]:
        """The notes of the alerts among what gather publishes, for the hop."""
        box = Outbox(PARTITIONS)
        for o in outgoing:
            if o.output == Output.ALERTS and (note := alert_note(o.value)) is not None:
                box.add(note["declaration_id"], note)
        return hop(self.hop_topic, box)

    async def intake(self, events: Sequence[faust.EventT]) -> None:
        """Dispositions, on to the hop; one that cannot be read, to its dead-letter topic."""
        box = Outbox(PARTITIONS)
        dead: list[Outgoing] = []
        for event in events:
            record = incoming(event)
            parsed = parse_contract(record.value, Disposition)
            if isinstance(parsed, Rejection):
                dead.append(dead_disposition(record, parsed))
                continue
            box.add(
                parsed.declaration_id,
                {
                    "t": "disposition",
                    "declaration_id": parsed.declaration_id,
                    "alert_id": parsed.alert_id,
                    "verdict": parsed.verdict.value,
                    "decided_at": parsed.decided_at.isoformat(),
                    "analyst": parsed.analyst,
                    # for its dead letter, should the alert be unknown
                    "raw": (record.value or b"").decode("latin-1"),
                    "origin": origin_of(record),
                },
            )
        await self._send(dead, hop(self.hop_topic, box))

    async def batch(self, events: Sequence[faust.EventT]) -> None:
        async with self.lock:
            await self._batch(events)

    async def _batch(self, events: Sequence[faust.EventT]) -> None:
        """Alerts noted and dispositions decided (`decide`), the rows changed written once
        everything the batch caused is acknowledged."""
        items = [
            (event.message.partition, item)
            for event in events
            for item in items_of(event.message.value)
        ]
        decided = decide(items, self._load, self.settings.internal_partitions)
        writes = TableWrites(self.table)
        partitions = {item["declaration_id"]: partition for partition, item in items}
        for key, row in decided.rows.items():
            writes.set(partitions[key], key.encode(), orjson.dumps(row))
        records = [(*record, []) for record in writes.records()]
        to_entities = hop(self.entity_topic, decided.to_entities)
        acknowledged = await self._send(decided.dead, [*records, *to_entities])
        writes.apply(acknowledged[: len(records)])
        metrics.ALERTS_NOTED.inc(sum(item["t"] == "alerted" for _, item in items))
        for verdict, indicators in decided.verdicts:
            metrics.DISPOSITIONS.labels(verdict=verdict).inc()
            for code in indicators:
                metrics.DISPOSITION_INDICATORS.labels(code=code, verdict=verdict).inc()

    async def forget_old(self, now: float) -> int:
        """Delete the rows of alerts published longer ago than the disposition window, if
        the table is held here; returns how many. A disposition of one is dead-lettered."""
        if not self._held():
            return 0
        before = now - self.settings.disposition_window_s
        old = [key async for key, value in paced(self._rows()) if expired(value, before)]
        async with self.lock:
            if not old or not self._held():
                return 0
            writes = TableWrites(self.table)
            for key in old:
                row = self._load(0, key.decode())
                if row is not None and _published_at(row) < before:  # not noted again since
                    writes.set(0, key, None)
            records = [(*record, []) for record in writes.records()]
            writes.apply(await self.publish(records))
        metrics.ALERTS_FORGOTTEN.inc(len(records))
        return len(records)

    def _rows(self) -> Iterable[tuple[bytes, bytes]]:
        rows = self.table.items()
        # RocksDB iterates a snapshot; a dict must be copied, or a batch between two
        # chunks of the sweep changes it under the iteration
        return rows if hasattr(self.table.data, "_db_for_partition") else list(rows)

    def _held(self) -> bool:
        tp = TP(self.table.changelog_topic_name, 0)
        return tp in self.table.app.assignor.assigned_actives()

    async def _send(self, dead: list[Outgoing], messages: list) -> list[Any]:
        """`messages` first (their acknowledgements are returned), then the dead letters."""
        fitted_dead = [fitted(o, self.dead_letter_limit) for o in dead]
        acknowledged = await self.publish([*messages, *published(self.outputs, fitted_dead)])
        for o in dead:
            code = dict(o.headers).get("dlq-error-code", b"?").decode()
            metrics.DISPOSITIONS_DEAD_LETTERED.labels(reason=code).inc()
        return acknowledged[: len(messages)]

    def _load(self, partition: int, key: str) -> Item | None:
        stored = read(self.table, partition, key.encode())
        return orjson.loads(stored) if stored else None
