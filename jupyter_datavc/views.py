"""What the verbs return to a person: objects with a plain-text ``str()`` and an HTML repr.

The CLI prints ``str(view)``; a notebook shows ``_repr_html_()``. Every string that comes from
data (names, messages, paths) is escaped.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

from .core.jobs import Job
from .core.refs import Version
from .core.repo import DatasetSummary
from .core.workspace import CheckoutResult, StatusReport


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_rows(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


class Table:
    """A small table that renders as aligned text and as escaped HTML."""

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
        self.headers = list(headers)
        self.rows = [["" if c is None else str(c) for c in r] for r in rows]
        self.title = title

    def __str__(self) -> str:
        widths = [max([len(h)] + [len(r[i]) for r in self.rows]) for i, h in enumerate(self.headers)]
        lines = [self.title] if self.title else []
        lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths)).rstrip())
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in self.rows]
        if not self.rows:
            lines.append("(none)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th style='text-align:left'>{e(h)}</th>" for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{e(c)}</td>" for c in r) + "</tr>" for r in self.rows
        )
        title = f"<b>{e(self.title)}</b>" if self.title else ""
        empty = "<i>(none)</i>" if not self.rows else ""
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return f"<div class='datavc'>{title}{table}{empty}</div>"

    def __repr__(self) -> str:
        return str(self)


class Message:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre class='datavc'>{html.escape(self.text)}</pre>"


def log_view(name: str, versions: list[Version]) -> Table:
    rows = [
        (
            f"v{v.number}",
            v.short,
            v.time,
            v.author,
            v.message,
            human_size(v.size),
            human_rows(v.rows),
            ", ".join(v.tags),
        )
        for v in reversed(versions)
    ]
    return Table(["version", "hash", "time", "author", "message", "size", "rows", "tags"], rows, f"log of {name}")


def ls_view(items: list[DatasetSummary]) -> Table:
    rows = [
        (
            s.name,
            f"v{s.latest.number}",
            s.versions,
            human_size(s.latest.size),
            human_rows(s.latest.rows),
            s.latest.path if s.latest.path is not None else "(table)",
            s.latest.time,
        )
        for s in items
    ]
    return Table(["dataset", "latest", "versions", "size", "rows", "path", "changed"], rows, "datasets")


def status_view(report: StatusReport) -> Table:
    rows: list[tuple[str, ...]] = []
    for d in report.datasets:
        detail = []
        for label, items in (("modified", d.modified), ("new", d.new), ("deleted", d.deleted)):
            if items:
                shown = ", ".join(items[:5]) + (f" (+{len(items) - 5})" if len(items) > 5 else "")
                detail.append(f"{label}: {shown}")
        rows.append((d.name, d.version, d.state, d.path or "", "; ".join(detail)))
    for j in report.jobs:
        pct = 100 * j["bytes_done"] / j["bytes_total"] if j.get("bytes_total") else 0.0
        rows.append((j["dataset"], f"job {j['id']}", j["state"], "", f"{j['description']} ({pct:.0f}%)"))
    return Table(["dataset", "version", "state", "path", "details"], rows, "status")


def version_view(version: Version, verb: str = "added", unchanged: bool = False) -> Message:
    if unchanged:
        return Message(f"{version.dataset}: no changes since {version.ref} ({version.short})")
    extra = f", {human_rows(version.rows)} rows" if version.rows is not None else ""
    tags = f" [{', '.join(version.tags)}]" if version.tags else ""
    return Message(
        f"{verb} {version.ref} ({version.short}): {version.files} file(s), {human_size(version.size)}{extra}{tags}"
    )


def checkout_view(res: CheckoutResult) -> Message:
    return Message(
        f"checked out {res.version.ref} at {res.target}: {len(res.written)} written, "
        f"{len(res.removed)} removed, {res.unchanged} unchanged"
    )


def job_rows(jobs: list[dict[str, Any]]) -> Table:
    rows = []
    for j in jobs:
        pct = (
            100 * j["bytes_done"] / j["bytes_total"]
            if j.get("bytes_total")
            else (100.0 if j["state"] == "done" else 0.0)
        )
        started = time.strftime("%H:%M:%S", time.localtime(j["created"]))
        rows.append(
            (j["id"], j["dataset"], j["state"], f"{pct:.0f}%", started, j.get("error") or j.get("result") or "")
        )
    return Table(["job", "dataset", "state", "progress", "started", "result"], rows, "jobs")


def jobs_view(jobs: list[Job]) -> Table:
    return job_rows([j.to_json() for j in jobs])


def show_progress_on_terminal(job: Job, stream: Any = None) -> None:
    """While ``job`` runs, redraw one progress line on a terminal (at most five times a second)."""
    import sys

    out = stream if stream is not None else sys.stderr
    if not out.isatty():
        return
    last = [0.0]

    def show(j: Job) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and not j.done:
            return
        last[0] = now
        p = j.progress
        out.write(
            f"\r{j.description}: {p.phase} {100 * p.fraction:5.1f}% {p.files_done}/{p.files_total} files, "
            f"{human_size(p.bytes_done)} at {human_size(int(p.rate))}/s"
        )
        if j.done:
            out.write("\n")
        out.flush()

    job.subscribe(show)
