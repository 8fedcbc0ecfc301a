"""Run files on disk: ``.datavc/runs/<name>.json``, read back, listed, and whether their run is alive."""

from __future__ import annotations

import difflib
import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CorruptMetadata, DataVCError
from .revision import check_name

if TYPE_CHECKING:
    from .repo import Repo

SCHEMA_VERSION = 1
KIND = "datavc.run"


class UnknownRun(DataVCError):
    status = 404


def runs_dir(repo: Repo) -> Path:
    return repo.dir / "runs"


def run_path(repo: Repo, name: str) -> Path:
    return runs_dir(repo) / f"{check_name(name, 'run name')}.json"


def load(repo: Repo, name: str) -> dict[str, Any]:
    path = run_path(repo, name)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        known = [str(r["name"]) for r in list_runs(repo)]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else f" (known: {', '.join(known[-5:])})"
        raise UnknownRun(f"unknown run {name!r}" + (hint if known else "; no runs recorded yet")) from None
    except (OSError, ValueError) as err:
        raise CorruptMetadata(f"unreadable run file {path}: {err}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise CorruptMetadata(f"unreadable run file {path}: not a datavc run")
    return doc


def list_runs(repo: Repo, active: str | None = None) -> list[dict[str, Any]]:
    """Every run file, oldest first, with its ``state``: a running run whose process is gone is
    ``interrupted`` (``active``: the name of this process's active run)."""
    folder = runs_dir(repo)
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name.startswith(".tmp-"):
            continue
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError) as err:
            raise CorruptMetadata(f"unreadable run file {path}: {err}") from None
        if isinstance(doc, dict) and doc.get("kind") == KIND:
            doc["state"] = _state(doc, active)
            out.append(doc)
    return sorted(out, key=lambda d: str(d.get("started", "")))


def _state(doc: dict[str, Any], active: str | None) -> str:
    if doc.get("status") != "running":
        return str(doc.get("status"))
    if doc.get("host") != socket.gethostname() or not isinstance(doc.get("pid"), int):
        return "running"
    if doc["pid"] == os.getpid():
        return "running" if active == doc.get("name") else "interrupted"
    try:
        os.kill(doc["pid"], 0)
    except ProcessLookupError:
        return "interrupted"
    except OSError:
        pass
    return "running"
