"""Fault injection for worker processes started by the integration tests, with this folder
on PYTHONPATH, as defects of screener's would be:

- SCREENER_TEST_FAIL_HISTORY_BATCH=N: the N-th history batch raises, once per flag file
  (SCREENER_TEST_FAIL_FLAG);
- SCREENER_TEST_FAIL_ASSESS=ID: assessing the declaration ID raises, every time.
"""

import os

_nth = os.environ.get("SCREENER_TEST_FAIL_HISTORY_BATCH")
_flag = os.environ.get("SCREENER_TEST_FAIL_FLAG")
_poison = os.environ.get("SCREENER_TEST_FAIL_ASSESS")

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

if _poison:
    from screener.stream import gather

    _assess = gather.assess

    def _failing_assess(declaration, *args, **kwargs):
        if declaration.declaration_id == _poison:
            raise ZeroDivisionError("injected failure")
        return _assess(declaration, *args, **kwargs)

    gather.assess = _failing_assess
