"""What gather keeps of a declaration it has answered, to answer a copy the same way.

A declaration comes again when a worker restarts or a partition moves before its input was
committed, or when the sender publishes it twice. Its copy gets the assessment (and alert)
that was published the first time, byte for byte, instead of one computed from a history
that now includes the declaration itself. Features that come for an answered declaration
are dropped. An answer is kept for `SCREENER_ANSWER_RETENTION_S`; a copy coming later is
assessed again.
"""

from __future__ import annotations

from typing import Any

import orjson

from screener.stream.envelopes import Outgoing, Output


def answered(row: dict[str, Any]) -> bool:
    return "outgoing" in row


def remember(outgoing: list[Outgoing], at: float) -> dict[str, Any]:
    """The pending row of an answered declaration. Headers are bytes: kept as latin-1 text,
    which gives every byte back."""
    return {
        "answered_at": at,
        "outgoing": [
            {
                "output": o.output.value,
                "key": o.key.decode("latin-1") if o.key is not None else None,
                "value": orjson.Fragment(o.value) if o.value is not None else None,
                "headers": [[k, v.decode("latin-1")] for k, v in o.headers],
            }
            for o in outgoing
        ],
    }


def recall(row: dict[str, Any]) -> list[Outgoing]:
    return [
        Outgoing(
            Output(o["output"]),
            o["key"].encode("latin-1") if o["key"] is not None else None,
            orjson.dumps(o["value"]) if o["value"] is not None else None,
            [(k, v.encode("latin-1")) for k, v in o["headers"]],
        )
        for o in row["outgoing"]
    ]


def expired(row: dict[str, Any], before: float) -> bool:
    return answered(row) and row["answered_at"] < before
