"""One strict reading of whole numbers from a query string or a request body.

`str.isdigit()` is true for "²" and "٣", and `int()` takes "٣", " 3\n", "+3" and "3_000" but
raises on "²" and on any string over 4,300 digits: checks built on the two answered 500. Here a
number is an int (never a bool) or a string of ASCII digits, with a minus sign only where
negative numbers are allowed, no longer than the largest id (19 digits), and inside [low, high].
"""

from __future__ import annotations

import re
from typing import Any

MAX_ID = 2**63 - 1  # the largest primary key (bigint): larger numbers are not ids
MAX_DIGITS = len(str(MAX_ID))
_DIGITS = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}", re.ASCII)


def parse_int(value: Any, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """`value` as an int in [low, high], or None when it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None
