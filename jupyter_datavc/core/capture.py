"""Which files a block of code reads and writes, without the code saying so.

Python-level ``open()`` (and everything built on it, such as pandas' CSV and JSON readers) is
seen through an audit hook; readers and writers that open files natively (pyarrow, and pandas'
Parquet/Feather through pyarrow, polars) are wrapped while a capture is active. Only the thread
that started the capture is recorded, so background jobs' own reads never count.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_state = threading.local()
_hook_installed = False
_hook_lock = threading.Lock()

# (module, attribute, "r"/"w", index of the path among positional args, keyword names of the path)
_NATIVE: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = (
    ("pyarrow.parquet", "read_table", "r", 0, ("source",)),
    ("pyarrow.parquet", "write_table", "w", 1, ("where",)),
    ("pyarrow.parquet", "write_to_dataset", "w", 1, ("root_path",)),
    ("pyarrow.feather", "read_table", "r", 0, ("source",)),
    ("pyarrow.feather", "read_feather", "r", 0, ("source",)),
    ("pyarrow.feather", "write_feather", "w", 1, ("dest",)),
    ("pyarrow.csv", "read_csv", "r", 0, ("input_file",)),
    ("pyarrow.csv", "write_csv", "w", 1, ("output_file",)),
    ("pyarrow.json", "read_json", "r", 0, ("input_file",)),
    ("pyarrow.dataset", "dataset", "r", 0, ("source",)),
    ("polars", "read_parquet", "r", 0, ("source",)),
    ("polars", "scan_parquet", "r", 0, ("source",)),
    ("polars", "read_csv", "r", 0, ("source",)),
    ("polars", "scan_csv", "r", 0, ("source",)),
    ("polars", "read_ipc", "r", 0, ("source",)),
    ("polars", "read_ndjson", "r", 0, ("source",)),
    ("polars.DataFrame", "write_parquet", "w", 1, ("file",)),
    ("polars.DataFrame", "write_csv", "w", 1, ("file",)),
    ("polars.DataFrame", "write_ipc", "w", 1, ("file",)),
    ("polars.DataFrame", "write_ndjson", "w", 1, ("file",)),
)


@dataclass
class Capture:
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)

    def record(self, path: Any, mode: str) -> None:
        if isinstance(path, (list, tuple)):
            for p in path:
                self.record(p, mode)
            return
        if not isinstance(path, (str, os.PathLike)):
            return
        text = os.fspath(path)
        if isinstance(text, bytes) or "://" in text:
            return
        full = os.path.abspath(text)
        (self.writes if mode == "w" else self.reads).add(full)


def _active() -> Capture | None:
    return getattr(_state, "capture", None)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open":
        return
    cap = _active()
    if cap is None or getattr(_state, "busy", False):
        return
    path, mode = args[0], args[1]
    if isinstance(path, int):
        return
    writing = isinstance(mode, str) and any(c in mode for c in "wax+")
    cap.record(path, "w" if writing else "r")


def _install_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


def _resolve(module: str) -> Any:
    if module.endswith(".DataFrame"):
        mod = sys.modules.get(module.rsplit(".", 1)[0])
        return getattr(mod, "DataFrame", None) if mod is not None else None
    if module.split(".")[0] not in sys.modules and module.split(".")[0] == "polars":
        return None  # never import polars just to watch it
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _wrap(fn: Callable[..., Any], mode: str, index: int, names: tuple[str, ...]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cap = _active()
        if cap is not None and not getattr(_state, "busy", False):
            path = (
                kwargs.get(names[0]) if names and names[0] in kwargs else (args[index] if len(args) > index else None)
            )
            cap.record(path, mode)
        _state.busy = True  # the wrapped call's own opens are not separate events
        try:
            return fn(*args, **kwargs)
        finally:
            _state.busy = False

    wrapper._datavc_original = fn  # type: ignore[attr-defined]
    return wrapper


def _watch_osfile(base: Any) -> Any:
    """``pyarrow.OSFile`` (pandas opens Parquet/Feather targets with it) that reports its path."""

    class OSFile(base):  # type: ignore[misc, valid-type]
        def __init__(self, path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> None:
            cap = _active()
            if cap is not None and not getattr(_state, "busy", False):
                cap.record(path, "w" if any(c in str(mode) for c in "wax") else "r")

    OSFile._datavc_original = base  # type: ignore[attr-defined]
    return OSFile


@contextmanager
def capture() -> Iterator[Capture]:
    """Record the paths this thread reads and writes inside the ``with`` block."""
    _install_hook()
    cap = Capture()
    patched: list[tuple[Any, str, Any]] = []
    for module, attr, mode, index, names in _NATIVE:
        owner = _resolve(module)
        fn = getattr(owner, attr, None) if owner is not None else None
        if fn is None or hasattr(fn, "_datavc_original"):
            continue
        setattr(owner, attr, _wrap(fn, mode, index, names))
        patched.append((owner, attr, fn))
    pyarrow: Any = sys.modules.get("pyarrow")
    if pyarrow is not None and not hasattr(pyarrow.OSFile, "_datavc_original"):
        patched.append((pyarrow, "OSFile", pyarrow.OSFile))
        pyarrow.OSFile = _watch_osfile(pyarrow.OSFile)
    _state.capture = cap
    try:
        yield cap
    finally:
        _state.capture = None
        for owner, attr, fn in reversed(patched):
            setattr(owner, attr, fn)
