"""Views of verify, audit, gc and purge: plain text for the CLI, escaped HTML for notebooks.

A view whose ``exit_code`` is not 0 makes ``datavc`` exit with it after printing: 1 means "the
check ran and found problems" (2 stays for usage errors).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from .core.audit import ChainReport, Event
from .core.audit_report import CustodyReport
from .core.gc import GCResult
from .core.purge import PurgeResult
from .core.verify import VerifyReport
from .views import Table, human_size

OK_COLOR, BAD_COLOR = "#1a7f37", "#cf222e"


class Report:
    """A headline, some lines and an optional table; ``exit_code`` for the CLI."""

    def __init__(
        self, headline: str, lines: Sequence[str] = (), table: Table | None = None, *, ok: bool = True
    ) -> None:
        self.headline = headline
        self.lines = list(lines)
        self.table = table
        self.ok = ok
        self.exit_code = 0 if ok else 1

    def __str__(self) -> str:
        parts = [self.headline, *(f"  {line}" for line in self.lines)]
        if self.table is not None:
            parts.append(str(self.table))
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        color = OK_COLOR if self.ok else BAD_COLOR
        items = "".join(f"<li>{e(line)}</li>" for line in self.lines)
        body = f"<ul>{items}</ul>" if items else ""
        table = self.table._repr_html_() if self.table is not None else ""
        return f"<div class='datavc'><b style='color:{color}'>{e(self.headline)}</b>{body}{table}</div>"


class JsonView:
    """Machine-readable output (``--json``); ``exit_code`` like the text view it replaces."""

    def __init__(self, doc: Any, exit_code: int = 0) -> None:
        self.doc = doc
        self.exit_code = exit_code

    def __str__(self) -> str:
        return json.dumps(self.doc, indent=1, sort_keys=True, default=str)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre class='datavc'>{html.escape(str(self))}</pre>"


def verify_view(report: VerifyReport, what: str) -> Report:
    n = len(report.versions)
    checked = f"{n} version(s) of {what}: {report.chunks} chunk(s), {human_size(report.bytes)} re-hashed"
    lines = [f"purged on purpose (data expected missing): {', '.join(report.purged)}"] if report.purged else []
    if report.not_local:
        lines.append(f"{report.not_local} chunk(s) are not local (fetched from the remote on demand)")
    if report.ok:
        return Report(f"verified {checked}: no problems", lines)
    rows = [(p.kind, p.where, p.detail) for p in report.problems]
    table = Table(["problem", "where", "detail"], rows)
    return Report(f"{len(report.problems)} problem(s) in {checked}", lines, table, ok=False)


def details_text(details: dict[str, Any], width: int = 90) -> str:
    text = ", ".join(
        f"{k}={v if isinstance(v, (str, int, float)) else json.dumps(v, default=str)}" for k, v in details.items()
    )
    return text if len(text) <= width else text[: width - 1] + "…"


def events_table(events: list[Event], title: str = "") -> Table:
    rows = [(e.id, e.time, e.user, e.host, e.operation, details_text(e.details)) for e in events]
    return Table(["id", "time", "user", "host", "operation", "details"], rows, title)


def chain_lines(chain: ChainReport) -> tuple[str, list[str]]:
    if chain.ok:
        return f"audit chain intact: {chain.events} event(s)", []
    return f"audit chain BROKEN: {len(chain.problems)} problem(s) in {chain.events} line(s)", [
        p.message for p in chain.problems
    ]


def chain_view(chain: ChainReport) -> Report:
    headline, lines = chain_lines(chain)
    return Report(headline, lines, ok=chain.ok)


def log_view(events: list[Event], total: int) -> Table:
    shown = f"last {len(events)} of {total}" if len(events) < total else f"{total}"
    return events_table(events, f"audit log ({shown} event(s))")


def custody_view(rep: CustodyReport) -> Report:
    v = rep.version
    lines = [
        f"manifest {v.manifest}",
        f"created {v.time} by {v.author}" + (f": {v.message}" if v.message else ""),
        f"{v.files} file(s), {human_size(v.size)}" + (f", {v.rows:,} rows" if v.rows is not None else ""),
    ]
    if rep.purge is not None:
        lines.append(f"PURGED on {rep.purge.get('time')} by {rep.purge.get('author')}: {rep.purge.get('reason')}")
    headline, problems = chain_lines(rep.chain)
    lines += [headline, *problems]
    table = events_table(rep.events, f"{len(rep.events)} event(s) name {v.ref}")
    return Report(f"chain of custody of {v.ref}", lines, table, ok=rep.chain.ok)


def gc_view(res: GCResult) -> Report:
    verb = "would remove" if res.dry_run else "removed"
    headline = (
        f"gc {verb} {res.chunks} chunk(s) ({human_size(res.chunk_bytes)}), {res.manifests} manifest(s), "
        f"{res.cache_entries} cached file(s) or tree(s), {res.temp_files} stale temp file(s)"
    )
    return Report(headline, [f"kept {res.kept_chunks} chunk(s) and {res.kept_manifests} manifest(s)"])


def purge_view(res: PurgeResult) -> Report:
    manifest = " and its manifest" if res.manifest_removed else ""
    lines = [
        f"reason: {res.reason}",
        f"by {res.author} at {res.time}",
        f"{res.shared} chunk(s) stay: other versions hold them",
        "files in the workspace were not touched",
    ]
    if res.remote is not None:
        r = res.remote
        if r.numbers:
            extra = " and its manifest" if r.manifest_removed else ""
            lines.append(f"remote {r.remote}: removed {r.chunks} chunk(s) ({human_size(r.bytes)}){extra}")
        else:
            lines.append(f"remote {r.remote}: never held this version")
    return Report(f"purged {res.version.ref}: removed {res.chunks} chunk(s) ({human_size(res.bytes)}){manifest}", lines)
