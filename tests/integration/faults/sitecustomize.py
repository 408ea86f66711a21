"""Fault injection for worker processes started by the integration tests: with this folder
on PYTHONPATH, the history batch numbered SCREENER_TEST_FAIL_HISTORY_BATCH raises, once per
flag file (SCREENER_TEST_FAIL_FLAG), as a defect of screener's would."""

import os

_nth = os.environ.get("SCREENER_TEST_FAIL_HISTORY_BATCH")
_flag = os.environ.get("SCREENER_TEST_FAIL_FLAG")

if _nth and _flag and not os.path.exists(_flag):
    from screener.stream import history

    _batch = history.History.batch
    _calls = 0

    async def _failing_batch(self, events, hand_on):
        global _calls
        _calls += 1
        if _calls == int(_nth) and not os.path.exists(_flag):
            open(_flag, "w").close()
            raise RuntimeError("injected failure")
        return await _batch(self, events, hand_on)

    history.History.batch = _failing_batch
