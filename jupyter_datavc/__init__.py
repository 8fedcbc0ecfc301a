"""jupyter_datavc: version datasets from inside notebooks.

Python API::

    import jupyter_datavc as dv
    dv.add("data/raw.parquet", name="raw", message="initial import")
    dv.add(df, name="clean")               # a pandas DataFrame or pyarrow Table
    df = dv.load("raw@v2")
    dv.checkout("raw@v1")
    repo = dv.Repo(".")                    # or dv.Repo.discover()

In IPython/Jupyter: ``%load_ext jupyter_datavc``, then ``%dv ...``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .core.errors import (
    CorruptMetadata,
    CorruptObject,
    DataVCError,
    FileChanged,
    InvalidRevision,
    JobCancelled,
    MissingObject,
    NotATable,
    PathError,
    RepoNotFound,
    UnknownDataset,
    UnknownRevision,
    WorkspaceConflict,
)
from .core.jobs import Job
from .core.refs import Version
from .core.repo import Repo

__version__ = "0.1.0"

__all__ = [
    "CorruptMetadata",
    "CorruptObject",
    "DataVCError",
    "FileChanged",
    "InvalidRevision",
    "Job",
    "JobCancelled",
    "MissingObject",
    "NotATable",
    "PathError",
    "Repo",
    "RepoNotFound",
    "UnknownDataset",
    "UnknownRevision",
    "Version",
    "WorkspaceConflict",
    "add",
    "checkout",
    "compare_runs",
    "diff",
    "end_run",
    "init",
    "load",
    "log",
    "log_metric",
    "ls",
    "start_run",
    "status",
    "tag",
]


def _repo(repo: Repo | str | os.PathLike[str] | None) -> Repo:
    if isinstance(repo, Repo):
        return repo
    return Repo.discover(repo)


def init(path: str | os.PathLike[str] = ".") -> Repo:
    """Create ``.datavc/`` in ``path`` (or open the one that is there)."""
    return Repo.init(path)


def add(
    data: Any = None,
    *,
    name: str | None = None,
    message: str = "",
    wait: bool = True,
    repo: Repo | str | None = None,
) -> Version | Job:
    """Add a file or folder path, or a DataFrame/Table, as a new version of ``name``.

    Blocks until committed and returns the :class:`Version`; ``wait=False`` returns the
    background :class:`Job` at once (``job.wait()`` gives the version).
    """
    if isinstance(data, (str, Path, os.PathLike)):
        r = _repo(repo) if repo is not None else Repo.open_or_init()[0]
        job = r.start_add(data, name=name, message=message)
    else:
        r = _repo(repo)
        job = r.start_add(None, name=name, message=message, table=data)
    return job.wait() if wait else job


def load(rev: str, *, arrow: bool = False, path: bool = False, repo: Repo | str | None = None) -> Any:
    """A version as a pandas DataFrame (``arrow=True``: pyarrow Table; ``path=True``: a read-only path)."""
    return _repo(repo).load(rev, arrow=arrow, path=path)


def checkout(rev: str, *, to: str | None = None, force: bool = False, repo: Repo | str | None = None) -> Any:
    return _repo(repo).checkout(rev, to=to, force=force)


def log(name: str, *, repo: Repo | str | None = None) -> list[Version]:
    return _repo(repo).log(name)


def ls(*, repo: Repo | str | None = None) -> Any:
    return _repo(repo).ls()


def status(*, repo: Repo | str | None = None) -> Any:
    return _repo(repo).status()


def tag(rev: str, tag: str, *, delete: bool = False, repo: Repo | str | None = None) -> Version:
    return _repo(repo).tag(rev, tag, delete=delete)


def start_run(
    name: str, params: dict[str, Any] | None = None, *, replace: bool = False, repo: Repo | str | None = None
) -> Any:
    """Bind this process to run ``name``: later transforms and metrics belong to it (``%dv run start``)."""
    from .core import runs

    return runs.start(_repo(repo), name, params, replace=replace)


def log_metric(name: str, value: float, *, step: int | None = None, repo: Repo | str | None = None) -> None:
    """Record a metric on the active run (``%dv run log NAME=VALUE``); the last value is the run's."""
    from .core import runs

    runs.log(_repo(repo) if repo is not None else None, {name: value}, step=step)


def end_run(*, repo: Repo | str | None = None) -> Any:
    """Close the active run (``%dv run end``)."""
    from .core import runs

    return runs.end(_repo(repo) if repo is not None else None)


def compare_runs(a: str, b: str, *, repo: Repo | str | None = None) -> Any:
    """What changed from run ``a`` to run ``b`` (names or manifest files): data, params, metrics, code, environment.

    Shows as HTML in a notebook, prints as text; ``.to_json()`` gives the document.
    """
    from .core.run_compare import compare
    from .runs_view import ComparisonView

    return ComparisonView(compare(_repo(repo), a, b))


def diff(
    a: str,
    b: str | None = None,
    *,
    rows: bool = False,
    key: list[str] | str | None = None,
    atol: float = 0.0,
    rtol: float = 0.0,
    limit: int = 20,
    memory: int | None = None,
    repo: Repo | str | None = None,
) -> Any:
    """What changed from ``a`` to ``b`` (default: the workspace): files, schema, statistics, rows.

    The result prints as text, shows as HTML in a notebook, and ``.to_json()`` follows
    ``jupyter_datavc/schemas/diff.schema.json``. ``memory``: bytes of table data the row
    comparison may hold; larger tables are compared in hash partitions spilled to disk.
    """
    from .core.diff import diff as _diff

    return _diff(_repo(repo), a, b, rows=rows, key=key, atol=atol, rtol=rtol, limit=limit, memory=memory)


def load_ipython_extension(ipython: Any) -> None:
    from .magics import register

    register(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    # jupyter_server imports jupyter_datavc.server only when it loads the extension.
    return [{"module": "jupyter_datavc.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-datavc"}]
