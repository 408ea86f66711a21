"""What gather keeps of a declaration it has answered, to answer a copy the same way.

A declaration comes again when a worker restarts or a partition moves before its input was
committed, or when the sender publishes it twice. Its copy gets the assessment (and alert)
that was published the first time, byte for byte, instead of one computed from a history
that now includes the declaration itself. Features that come for an answered declaration
are dropped, but for a replay of those that answered it (`Gather.merge`). An answer is kept
for `SCREENER_ANSWER_RETENTION_S`; a copy coming later is assessed again.

A copy is the same bytes. The same declaration id with other bytes is the declaration
amended (and sent again, as the contract asks): it is screened anew. So gather keeps answers,
and collects features, by the declaration id and the digest of its bytes (`answer_key`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from screener.stream.envelopes import Outgoing, Output

KEY_SEPARATOR = "\x1f"


def answer_key(declaration_id: str, raw: bytes) -> str:
    """The key of a declaration's pending row: its id and the digest of its bytes."""
    digest = hashlib.blake2b(raw, digest_size=8).hexdigest()
    return f"{declaration_id}{KEY_SEPARATOR}{digest}"


def declaration_of(key: str) -> str:
    """The declaration id of a pending row's key (rows written before `answer_key` have
    the id alone)."""
    return key.partition(KEY_SEPARATOR)[0]


def answered(row: dict[str, Any]) -> bool:
    return "outgoing" in row


def remember(outgoing: list[Outgoing], at: float) -> dict[str, Any]:
    """The pending row of an answered declaration. Headers are bytes: kept as latin-1 text,
    which gives every byte back; so is a dead letter's value, the declaration's original
    bytes. An assessment or alert is kept as JSON, which orjson writes back byte for byte."""
    return {
        "answered_at": at,
        "outgoing": [
            {
                "output": o.output.value,
                "key": o.key.decode("latin-1") if o.key is not None else None,
                "value": _kept(o),
                "headers": [[k, v.decode("latin-1")] for k, v in o.headers],
            }
            for o in outgoing
        ],
    }


def _kept(o: Outgoing) -> Any:
    if o.value is None:
        return None
    if o.output is Output.DEAD_LETTERS:
        return o.value.decode("latin-1")
    return orjson.Fragment(o.value)


def recall(row: dict[str, Any]) -> list[Outgoing]:
    return [
        Outgoing(
            Output(o["output"]),
            o["key"].encode("latin-1") if o["key"] is not None else None,
            _value(o["value"]),
            [(k, v.encode("latin-1")) for k, v in o["headers"]],
        )
        for o in row["outgoing"]
    ]


def _value(kept: Any) -> bytes | None:
    if kept is None:
        return None
    if isinstance(kept, str):  # bytes as latin-1 text
        return kept.encode("latin-1")
    return orjson.dumps(kept)  # JSON (and dead letters kept as JSON by earlier versions)


class AnswerTimes:
    """When each answer kept here was given, so that the sweep reads only the time of each,
    not every pending row (at 400 decl/s, 15 minutes of answers are 360,000 rows to decode).
    Rows of partitions that come here were answered elsewhere: after every assignment the
    times are read again from the table, once (`stale`)."""

    def __init__(self) -> None:
        self.times: dict[str, tuple[float, int]] = {}  # key -> (answered at, partition)
        self.stale = True

    def note(self, key: str, partition: int, row: dict[str, Any]) -> None:
        if answered(row):
            self.times[key] = (row["answered_at"], partition)

    def expired(self, before: float, ours: set[int]) -> dict[str, int]:
        """Key -> partition of the answers given before `before` in partitions held here,
        now forgotten; the times of partitions no longer held are forgotten too."""
        old = {}
        for key, (at, partition) in list(self.times.items()):
            if partition not in ours:
                del self.times[key]
            elif at < before:
                old[key] = partition
                del self.times[key]
        return old
