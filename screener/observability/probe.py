"""Asking a worker's web endpoints (/health, /metrics) how it is, from outside."""

from __future__ import annotations

import re
import urllib.error
import urllib.request


def http_get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, str]:
    """(status, body); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def metric_total(text: str, name: str) -> float:
    """A Prometheus metric summed over its labels, from /metrics text."""
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))
