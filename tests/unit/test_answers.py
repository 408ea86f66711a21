import orjson

from screener.stream.answers import answered, expired, recall, remember
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


def test_a_pending_row_is_not_an_answer_and_never_expires():
    partial = {"copies": 1, "declaration": {}, "expected": ["a"], "features": {}}
    assert not answered(partial)
    assert not expired(partial, before=1e12)


def test_an_answer_expires_after_its_retention():
    row = remember([ASSESSMENT], at=100.0)
    assert not expired(row, before=100.0)
    assert expired(row, before=100.5)
