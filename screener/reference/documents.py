"""Document numbers as compared: the same number keyed with or without dashes, spaces or
lower-case letters is one number."""

from __future__ import annotations

import re


def document_number(number: str) -> str:
    """A document number as compared: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", number.upper())
