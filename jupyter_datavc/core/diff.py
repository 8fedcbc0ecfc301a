"""Semantic diff of two versions of a dataset, or of a version against the workspace.

Four levels, each cheaper than the next: (1) files from the manifests alone — added, removed,
modified, renamed, sizes; (2) schemas of tabular files and of the dataset as a whole; (3)
statistics, from the manifest and Parquet footers where they hold them and from the column data
otherwise; (4) rows, matched by key or compared as multisets, only when asked for. A file that
cannot be read becomes a message; the rest of the diff is still there. ``DiffResult.to_json()``
follows ``jupyter_datavc/schemas/diff.schema.json``.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import TYPE_CHECKING

from . import tabular
from .diff_json import JSON, message, one_line
from .diff_schema import TableSource, file_source, one_table
from .diff_sides import Side, version_side, workspace_side
from .diff_table import RowOptions, table_diff
from .errors import UsageError
from .manifest import FileEntry
from .revision import parse_rev

if TYPE_CHECKING:
    from .repo import Repo

SCHEMA_VERSION = 1
TEXT_LIMIT = 1 << 20  # line summaries for text files smaller than this
STATUSES = ("added", "removed", "modified", "renamed", "unchanged")


class DiffResult:
    """The outcome of :func:`diff`: a JSON document with plain-text and HTML renderings."""

    def __init__(self, doc: JSON) -> None:
        self._doc = doc

    def to_json(self) -> JSON:
        """The diff document (``schema_version`` 1); treat it as read-only."""
        return self._doc

    @property
    def summary(self) -> JSON:
        return dict(self._doc["summary"])

    @property
    def identical(self) -> bool:
        return bool(self._doc["summary"]["identical"])

    @property
    def files(self) -> list[JSON]:
        return list(self._doc["files"])

    @property
    def table(self) -> JSON | None:
        table: JSON | None = self._doc["table"]
        return table

    @property
    def messages(self) -> list[JSON]:
        return list(self._doc["messages"])

    @property
    def errors(self) -> list[JSON]:
        return [m for m in self._doc["messages"] if m["level"] == "error"]

    def __str__(self) -> str:
        from .diff_render import render_text

        return render_text(self._doc)

    def _repr_html_(self) -> str:
        from .diff_render import render_html

        return render_html(self._doc)

    def __repr__(self) -> str:
        files = self._doc["summary"]["files"]
        counts = ", ".join(f"{files[s]} {s}" for s in STATUSES if files[s])
        return f"<DiffResult {self._doc['a']['label']} -> {self._doc['b']['label']}: {counts or 'no files'}>"


def diff(
    repo: Repo,
    a: str,
    b: str | None = None,
    *,
    rows: bool = False,
    key: list[str] | str | None = None,
    atol: float = 0.0,
    rtol: float = 0.0,
    limit: int = 20,
    memory: int | None = None,
) -> DiffResult:
    """Compare revision ``a`` with revision ``b``, or with the dataset's workspace when ``b`` is None.

    ``rows`` adds the row level (implied by ``key``): with ``key`` rows are matched by those
    columns, otherwise compared as multisets. ``atol``/``rtol`` loosen the comparison of
    floating-point cells; ``limit`` caps each sample of added, removed and changed rows.
    ``memory`` is how many bytes of table data the row level may hold (default: ``$DATAVC_DIFF_MEMORY``,
    else 2 GiB or an eighth of the RAM); larger tables are compared out of core, bucket by bucket.
    """
    keys = [key] if isinstance(key, str) else (list(key) if key is not None else None)
    if keys is not None and (not keys or not all(isinstance(k, str) and k for k in keys)):
        raise UsageError("key must name one or more columns")
    if not (atol >= 0 and rtol >= 0):
        raise UsageError("atol and rtol must be zero or positive numbers")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise UsageError("limit must be a whole number, zero or more")
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int) or memory <= 0):
        raise UsageError("memory must be a positive number of bytes")
    opts = RowOptions(bool(rows or keys), keys, float(atol), float(rtol), limit, memory)
    side_a = _side(repo, a)
    assert side_a.version is not None
    side_b = workspace_side(repo, side_a.version) if b is None else _side(repo, b)
    return DiffResult(build(side_a, side_b, opts))


def _side(repo: Repo, rev: str) -> Side:
    spec = parse_rev(rev)
    repo.wait_for(spec.name)
    return version_side(repo, repo.resolve(spec))


def build(side_a: Side, side_b: Side, opts: RowOptions) -> JSON:
    """The diff document of two sides."""
    msgs: list[JSON] = []
    if side_a.dataset != side_b.dataset:
        msgs.append(
            message("info", "different_datasets", f"comparing two datasets: {side_a.dataset} and {side_b.dataset}")
        )
    if side_b.missing:
        msgs.append(message("warning", "workspace_missing", f"{side_b.path or '.'} does not exist in the workspace"))
    for path, text in sorted(side_b.errors.items()):
        msgs.append(message("error", "unreadable_file", text, path))
    files, pairs, unchanged = file_changes(side_a, side_b)
    by_path = {f["path"]: f for f in files}
    for ea, eb in pairs:
        entry = by_path[eb.path]
        broken = any((e.table or {}).get("error") for e in (ea, eb))
        if entry["format"] is None or broken:
            entry["lines"] = _lines(side_a, side_b, ea, eb, msgs)
    src_a, src_b = one_table(side_a), one_table(side_b)
    tab_a, tab_b = len(side_a.tabular()), len(side_b.tabular())
    table: JSON | None = None
    if (src_a is not None or not tab_a) and (src_b is not None or not tab_b) and (tab_a or tab_b):
        table, more = _guarded(src_a, src_b, opts, True, None)
        msgs += more
    elif tab_a or tab_b:
        msgs.append(
            message(
                "info",
                "separate_tables",
                "the tabular files are compared one by one (they differ in format or columns)",
            )
        )
    many = tab_a > 1 or tab_b > 1
    seen = {(m["code"], m["file"], m["message"]) for m in msgs}
    for ea, eb in pairs:
        fa, fb = tabular.format_of(ea.path), tabular.format_of(eb.path)
        if fa is None or fb is None or (table is not None and not many):
            continue
        per_file = replace(opts, rows=opts.rows and table is None)
        doc, more = _guarded(file_source(side_a, ea), file_source(side_b, eb), per_file, table is None, eb.path)
        by_path[eb.path]["table"] = doc
        for m in more:
            if (m["code"], m["file"], m["message"]) not in seen:  # e.g. a broken part, already reported
                seen.add((m["code"], m["file"], m["message"]))
                msgs.append(m)
    return {
        "schema_version": SCHEMA_VERSION,
        "a": side_a.header(),
        "b": side_b.header(),
        "same_dataset": side_a.dataset == side_b.dataset,
        "options": {"rows": opts.rows, "key": opts.key, "atol": opts.atol, "rtol": opts.rtol, "limit": opts.limit},
        "summary": _summary(side_a, side_b, files, unchanged, table, msgs),
        "files": files,
        "table": table,
        "messages": msgs,
    }


def _guarded(
    src_a: TableSource | None, src_b: TableSource | None, opts: RowOptions, compute: bool, file: str | None
) -> tuple[JSON | None, list[JSON]]:
    """A table diff; whatever goes wrong in it becomes a message, not a failed diff."""
    try:
        return table_diff(src_a, src_b, opts, compute, file)
    except Exception as err:
        return None, [message("error", "table_failed", f"the tables could not be compared: {one_line(err)}", file)]


def _file(status: str, ea: FileEntry | None, eb: FileEntry | None) -> JSON:
    main = eb if eb is not None else ea
    assert main is not None
    sa, sb = (ea.size if ea else None), (eb.size if eb else None)
    return {
        "path": main.path,
        "old_path": ea.path if ea is not None and eb is not None and ea.path != eb.path else None,
        "status": status,
        "size": {"before": sa, "after": sb, "change": (sb or 0) - (sa or 0)},
        "hash": {"before": ea.hash if ea else None, "after": (eb.hash or None) if eb else None},
        "format": tabular.format_of(main.path),
        "lines": None,
        "table": None,
    }


def file_changes(side_a: Side, side_b: Side) -> tuple[list[JSON], list[tuple[FileEntry, FileEntry]], int]:
    """Level 1 from the entries alone: changed files, the modified pairs, and how many are unchanged."""
    ea, eb = side_a.entries, side_b.entries
    files: list[JSON] = []
    pairs: list[tuple[FileEntry, FileEntry]] = []
    unchanged = 0
    if side_a.kind == side_b.kind == "file" and len(ea) == len(eb) == 1:
        only = next(iter(eb.values()))
        ea, eb = {only.path: next(iter(ea.values()))}, {only.path: only}  # the same file, whatever its name
    only_a: list[FileEntry] = []
    for path, a in ea.items():  # one pass, no intermediate lists: manifests can hold millions of files
        b = eb.get(path)
        if b is None:
            only_a.append(a)
        elif b.hash and a.hash == b.hash:
            if a.path == b.path:
                unchanged += 1
            else:
                files.append(_file("renamed", a, b))
        else:
            files.append(_file("modified", a, b))
            pairs.append((a, b))
    only_b = sorted((b for path, b in eb.items() if path not in ea), key=lambda e: e.path)
    only_a.sort(key=lambda e: e.path)
    gone: dict[str, list[FileEntry]] = {}
    for a in only_a:
        if a.size:  # every empty file has the same hash: not worth calling a rename
            gone.setdefault(a.hash, []).append(a)
    renamed: set[str] = set()
    for b in only_b:
        cands = gone.get(b.hash) if b.hash else None
        if cands:
            base = b.path.rsplit("/", 1)[-1]
            pick = next((c for c in cands if c.path.rsplit("/", 1)[-1] == base), cands[0])
            cands.remove(pick)
            renamed.add(pick.path)
            files.append(_file("renamed", pick, b))
        else:
            files.append(_file("added", None, b))
    files += [_file("removed", a, None) for a in only_a if a.path not in renamed]
    files.sort(key=lambda f: (f["path"], f["status"]))
    return files, pairs, unchanged


def _lines(side_a: Side, side_b: Side, ea: FileEntry, eb: FileEntry, msgs: list[JSON]) -> JSON | None:
    """Added and removed line counts of a small text file."""
    if ea.size >= TEXT_LIMIT or eb.size >= TEXT_LIMIT:
        return None
    texts = []
    for side, e in ((side_a, ea), (side_b, eb)):
        try:
            data = side.read_bytes(e)
        except Exception as err:
            msgs.append(message("error", "unreadable_file", f"{side.label}: {e.path}: {one_line(err)}", eb.path))
            return None
        if b"\0" in data:
            return None
        texts.append(data.decode("utf-8", errors="replace").splitlines())
    added = removed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, texts[0], texts[1]).get_opcodes():
        if op != "equal":
            removed += i2 - i1
            added += j2 - j1
    return {"added": added, "removed": removed}


def _summary(
    side_a: Side, side_b: Side, files: list[JSON], unchanged: int, table: JSON | None, msgs: list[JSON]
) -> JSON:
    counts = {s: sum(1 for f in files if f["status"] == s) for s in STATUSES}
    counts["unchanged"] = unchanged
    size_a = sum(e.size for e in side_a.entries.values())
    size_b = sum(e.size for e in side_b.entries.values())
    ra, rb = side_a.rows, side_b.rows
    tables = [table] if table is not None else [f["table"] for f in files if f["table"] is not None]
    columns: JSON | None = None
    row_changes: JSON | None = None
    if tables:
        columns = {
            k: sum(len(t["schema"][k]) for t in tables)
            for k in ("added", "removed", "type_changed", "nullability_changed")
        }
        columns["order_changed"] = any(t["schema"]["order_changed"] for t in tables)
    compared = [t["rows"]["counts"] for t in tables if t["rows"] is not None]
    if compared:
        row_changes = {k: sum(c[k] or 0 for c in compared) for k in ("added", "removed", "changed")}
    return {
        "identical": not files and not side_b.errors,
        "files": counts,
        "size": {"before": size_a, "after": size_b, "change": size_b - size_a},
        "rows": {"before": ra, "after": rb, "change": rb - ra if ra is not None and rb is not None else None},
        "columns": columns,
        "row_changes": row_changes,
        "errors": sum(1 for m in msgs if m["level"] == "error"),
        "warnings": sum(1 for m in msgs if m["level"] == "warning"),
    }
