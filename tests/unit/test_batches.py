"""A batch that raises stops the worker before faust can commit it; a cancelled one (a
rebalance, a stop) is left to faust."""

from __future__ import annotations

import asyncio

import pytest

from screener.stream import batches


class Exited(Exception):
    pass


@pytest.fixture
def exits(monkeypatch) -> list[int]:
    codes: list[int] = []

    def _exit(code: int) -> None:
        codes.append(code)
        raise Exited

    monkeypatch.setattr(batches.os, "_exit", _exit)
    return codes


def test_a_failing_batch_stops_the_worker_with_exit_code_70(exits, caplog):
    with pytest.raises(Exited), batches.stopping_if_it_fails("history"):
        raise KeyError("row")
    assert exits == [70]
    assert "a history batch failed; stopping before the batch is committed" in caplog.text


def test_a_cancelled_batch_is_left_to_faust(exits):
    with pytest.raises(asyncio.CancelledError), batches.stopping_if_it_fails("gather"):
        raise asyncio.CancelledError
    assert exits == []


def test_a_batch_that_succeeds_goes_on(exits):
    with batches.stopping_if_it_fails("screen"):
        pass
    assert exits == []
