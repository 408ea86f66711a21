"""Fault injection for worker processes started by the integration tests, with this folder
on PYTHONPATH, as defects of screener's would be:

- SCREENER_TEST_FAIL_HISTORY_BATCH=N: the N-th batch of history changes raises (of the
  history agent, or of screen applying history in-process), once per flag file
  (SCREENER_TEST_FAIL_FLAG);
- SCREENER_TEST_FAIL_ASSESS=ID: assessing the declaration ID raises, every time.
"""

import os

_nth = os.environ.get("SCREENER_TEST_FAIL_HISTORY_BATCH")
_flag = os.environ.get("SCREENER_TEST_FAIL_FLAG")
_poison = os.environ.get("SCREENER_TEST_FAIL_ASSESS")

if _nth and _flag and not os.path.exists(_flag):
    from screener.stream import history

    _apply = history.History._apply_locked
    _calls = 0

    async def _failing_apply(self, changes, events, hand_on):
        global _calls
        _calls += 1
        if _calls == int(_nth) and not os.path.exists(_flag):
            open(_flag, "w").close()
            raise RuntimeError("injected failure")
        return await _apply(self, changes, events, hand_on)

    history.History._apply_locked = _failing_apply

if _poison:
    from screener.stream import gather

    _assess = gather.assess

    def _failing_assess(declaration, *args, **kwargs):
        if declaration.declaration_id == _poison:
            raise ZeroDivisionError("injected failure")
        return _assess(declaration, *args, **kwargs)

    gather.assess = _failing_assess
