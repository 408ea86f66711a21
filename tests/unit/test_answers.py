import orjson

from screener.stream.answers import AnswerTimes, answered, recall, remember
from screener.stream.envelopes import Outgoing, Output

ASSESSMENT = Outgoing(
    Output.ASSESSMENTS,
    b"CN-EXP-2026-0000001",
    b'{"declaration_id":"CN-EXP-2026-0000001","score":85.0,"indicators":[]}',
    [("content-type", b"application/json"), ("trace-id", b"\xff\x00odd bytes")],
)
ALERT = Outgoing(Output.ALERTS, b"CN-EXP-2026-0000001", b'{"severity":"critical"}', [])


def test_a_remembered_answer_comes_back_byte_for_byte():
    row = orjson.loads(orjson.dumps(remember([ASSESSMENT, ALERT], at=100.0)))
    assert answered(row)
    assert recall(row) == [ASSESSMENT, ALERT]


def test_a_remembered_dead_letter_gives_back_the_original_bytes():
    """Whatever their layout: read back as JSON and written again, they would not be."""
    raw = b'{\n  "declaration_id": "CN-EXP-2026-0000001",\n  "note": "\xe9"\n}\n'
    dead = Outgoing(Output.DEAD_LETTERS, b"key", raw, [("dlq-error-code", b"processing-error")])
    row = orjson.loads(orjson.dumps(remember([dead], at=100.0)))
    assert recall(row) == [dead]


def test_a_dead_letter_remembered_as_json_by_an_earlier_version_comes_back():
    row = {
        "answered_at": 1.0,
        "outgoing": [{"output": "dead_letters", "key": None, "value": {"a": 1}, "headers": []}],
    }
    assert recall(row) == [Outgoing(Output.DEAD_LETTERS, None, b'{"a":1}', [])]


def test_a_pending_row_is_not_an_answer_and_never_expires():
    partial = {"copies": 1, "declaration": {}, "expected": ["a"], "features": {}}
    assert not answered(partial)
    times = AnswerTimes()
    times.note("D-1", 0, partial)
    assert times.expired(before=1e12, ours={0}) == {}


def test_an_answer_expires_after_its_retention_once():
    times = AnswerTimes()
    times.note("D-1", 2, orjson.loads(orjson.dumps(remember([ASSESSMENT], at=100.0))))
    times.note("D-2", 2, remember([ASSESSMENT], at=200.0))
    assert times.expired(before=100.0, ours={2}) == {}
    assert times.expired(before=100.5, ours={2}) == {"D-1": 2}
    assert times.expired(before=100.5, ours={2}) == {}  # forgotten with its row
    assert times.expired(before=1e12, ours={2}) == {"D-2": 2}


def test_answers_of_partitions_no_longer_held_are_left_to_their_new_owner():
    times = AnswerTimes()
    times.note("D-1", 3, remember([ASSESSMENT], at=100.0))
    assert times.expired(before=1e12, ours={0, 1}) == {}
    assert times.expired(before=1e12, ours={3}) == {}  # its time went with the partition
