"""The vocabulary of a diff document: JSON-safe values, figures' side values and messages."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

JSON = dict[str, Any]
LEVELS = ("error", "warning", "info")


def json_value(v: Any) -> Any:
    """A JSON-safe value, rendered as the manifest renders Parquet footer statistics.

    Non-finite floats become text (``"nan"``, ``"inf"``), bytes become hex, dates, times and
    decimals become their ``str()``; lists and structs keep their shape.
    """
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)):
        return str(v)
    return str(v)


def side_value(value: Any, source: str, exact: bool = True) -> JSON:
    """One side of a figure: its value, where it came from and whether it covers the whole table."""
    return {"value": json_value(value), "source": source, "exact": exact}


def message(level: str, code: str, text: str, file: str | None = None) -> JSON:
    assert level in LEVELS
    return {"level": level, "code": code, "file": file, "message": text}


def one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (f"{type(err).__name__}: {text[0]}" if text else type(err).__name__)[:300]
