"""A diff document as aligned plain text and as HTML (every data string escaped).

Both renderings are built from the same row builders, so they show the same things: counts
first, then files, schema, statistics (changed figures only) and rows.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from .diff_json import JSON

CELL = 40  # longest value shown in a text cell (the last column is never cut)
FILES_SHOWN = 200

_CSS = (
    ".datavc-diff table{border-collapse:collapse;margin:2px 0 8px 0}"
    ".datavc-diff th,.datavc-diff td{text-align:left;padding:1px 8px;vertical-align:top}"
    ".datavc-diff .dv-changed{background:#fff1a8}.datavc-diff .dv-added{background:#dcfce7}"
    ".datavc-diff .dv-removed{background:#fee2e2}.datavc-diff .dv-error{color:#b91c1c}"
    ".datavc-diff h4{margin:10px 0 2px 0}"
)
_STATUS_CLASS = {"added": "dv-added", "removed": "dv-removed", "modified": "dv-changed", "renamed": "dv-changed"}


def fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if 1e5 <= abs(v) < 1e15:
            return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
        return f"{v:.6g}"
    return str(v)


def signed(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
        return "+" + fmt(v)
    return fmt(v)


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(abs(n))
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            text = f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            return ("-" if n < 0 else "") + text
        size /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def signed_size(n: int) -> str:
    return ("+" if n > 0 else "") + human_size(n)


def _counts(counts: JSON, order: Sequence[str]) -> str:
    return ", ".join(f"{fmt(counts[k])} {k.replace('_', ' ')}" for k in order if counts.get(k)) or "none"


def summary_rows(doc: JSON) -> list[list[str]]:
    s = doc["summary"]
    size = s["size"]
    other = "" if doc["same_dataset"] else " (different datasets)"
    rows = [
        ["compared", f"{doc['a']['label']} -> {doc['b']['label']}{other}"],
        ["files", _counts(s["files"], ("added", "removed", "modified", "renamed", "unchanged"))],
        ["size", f"{human_size(size['before'])} -> {human_size(size['after'])} ({signed_size(size['change'])})"],
    ]
    r = s["rows"]
    if r["before"] is not None or r["after"] is not None:
        change = f" ({signed(r['change'])})" if r["change"] is not None else ""
        rows.append(["rows", f"{fmt(r['before']) or '?'} -> {fmt(r['after']) or '?'}{change}"])
    if s["columns"] is not None:
        cols = _counts(s["columns"], ("added", "removed", "type_changed", "nullability_changed"))
        rows.append(["columns", cols + (", order changed" if s["columns"]["order_changed"] else "")])
    if s["row_changes"] is not None:
        rows.append(["row changes", _counts(s["row_changes"], ("added", "removed", "changed"))])
    if s["errors"] or s["warnings"]:
        rows.append(["messages", f"{s['errors']} errors, {s['warnings']} warnings"])
    return rows


def file_rows(doc: JSON) -> list[list[str]]:
    out = []
    for f in doc["files"][:FILES_SHOWN]:
        path = f["path"] + (f" (was {f['old_path']})" if f["old_path"] else "")
        lines = f"+{f['lines']['added']} -{f['lines']['removed']} lines" if f["lines"] else ""
        size = f["size"]
        before, after = human_size(size["before"]), human_size(size["after"])
        out.append([f["status"], path, before, after, signed_size(size["change"]), lines])
    return out


def schema_rows(schema: JSON) -> list[list[str]]:
    out = [["+", c["name"], c["type"]] for c in schema["added"]]
    out += [["-", c["name"], c["type"]] for c in schema["removed"]]
    out += [["~", t["name"], f"{t['before']} -> {t['after']}"] for t in schema["type_changed"]]
    nul = {True: "nullable", False: "not null"}
    out += [["~", t["name"], f"{nul[t['before']]} -> {nul[t['after']]}"] for t in schema["nullability_changed"]]
    if schema["order_changed"]:
        before = ", ".join(c["name"] for c in schema["before"])
        after = ", ".join(c["name"] for c in schema["after"])
        out.append(["~", "(column order)", f"{before} -> {after}"])
    return out


def _side(v: JSON | None) -> str:
    if v is None:
        return ""
    return fmt(v["value"]) + ("" if v["exact"] else " (estimate)" if v["source"] == "estimated" else " (partial)")


def _sources(fig: JSON) -> str:
    return "/".join(dict.fromkeys(fig[s]["source"] for s in ("before", "after") if fig[s] is not None))


def stats_rows(stats: JSON) -> list[list[str]]:
    """column, figure, before, after, change, source — changed figures only."""
    out = []
    rows = stats["rows"]
    if rows["changed"]:
        out.append(
            ["(rows)", "rows", _side(rows["before"]), _side(rows["after"]), signed(rows["change"]), _sources(rows)]
        )
    for col in stats["columns"]:
        if col["status"] != "common":
            out.append([col["name"], "column", "present" if col["status"] == "removed" else "", col["status"], "", ""])
            continue
        for name, fig in col["figures"].items():
            if fig["changed"]:
                before, after = _side(fig["before"]), _side(fig["after"])
                out.append([col["name"], name, before, after, signed(fig["change"]), _sources(fig)])
    return out


def rows_title(rows: JSON) -> str:
    how = f"matched by {', '.join(rows['key'])}" if rows["mode"] == "key" else "compared as multisets (no key)"
    return f"{_counts(rows['counts'], ('added', 'removed', 'changed', 'unchanged'))}; {how}"


def _changed_cells(rows: JSON) -> str:
    return ", ".join(f"{k} {fmt(v)}" for k, v in rows["changed_cells"].items())


def _clip(text: str) -> str:
    return text if len(text) <= CELL else text[: CELL - 1] + "…"


def aligned(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Columns padded to their widest cell; long cells are cut, except in the last column."""
    cut = [[_clip(c) for c in r[:-1]] + list(r[-1:]) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cut]) for i, h in enumerate(headers)]
    out = [indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    return out + [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cut]


# -- text ------------------------------------------------------------------------------------------
def _rows_text(r: JSON, title: str) -> list[str]:
    out = [f"Rows{title}: {rows_title(r)}"]
    if r["changed_cells"]:
        out.append(f"  changed cells: {_changed_cells(r)}")
    for part in ("added", "removed"):
        sample = r[part]
        if sample["rows"]:
            out.append(f"  {part}{' (first ' + str(len(sample['rows'])) + ')' if sample['truncated'] else ''}:")
            out += aligned(sample["columns"], [[fmt(v) for v in row] for row in sample["rows"]], "    ")
    if r["changed"]["rows"]:
        more = f" (first {len(r['changed']['rows'])})" if r["changed"]["truncated"] else ""
        out.append(f"  changed{more}:")
        for row in r["changed"]["rows"]:
            key = ", ".join(f"{k}={fmt(v)}" for k, v in row["key"].items())
            cells = "; ".join(f"{k}: {fmt(c['before'])} -> {fmt(c['after'])}" for k, c in row["cells"].items())
            out.append(f"    {_clip(key)}  {cells}")
    return out


def _table_text(t: JSON, title: str) -> list[str]:
    out = [f"Schema{title}"]
    sr = schema_rows(t["schema"])
    out += aligned(["", "column", "change"], sr) if sr else ["  no schema change"]
    out.append(f"Stats{title}")
    st = stats_rows(t["stats"])
    out += aligned(["column", "figure", "before", "after", "change", "source"], st) if st else ["  no change"]
    if t["rows"] is not None:
        out += _rows_text(t["rows"], title)
    return out


def render_text(doc: JSON) -> str:
    out = [f"diff {doc['a']['label']} -> {doc['b']['label']}"]
    out += aligned(["", ""], summary_rows(doc))[1:]
    if doc["files"]:
        out.append("Files")
        out += aligned(["status", "path", "before", "after", "change", "lines"], file_rows(doc))
        if len(doc["files"]) > FILES_SHOWN:
            out.append(f"  … and {len(doc['files']) - FILES_SHOWN} more")
    if doc["table"] is not None:
        out += _table_text(doc["table"], "")
    for f in doc["files"]:
        if f["table"] is not None:
            out += _table_text(f["table"], f" of {f['path']}")
    if doc["messages"]:
        out.append("Messages")
        out += aligned(
            ["level", "file", "message"], [[m["level"], m["file"] or "", m["message"]] for m in doc["messages"]]
        )
    return "\n".join(out)


# -- HTML ------------------------------------------------------------------------------------------
def _e(v: Any) -> str:
    return html.escape(v if isinstance(v, str) else fmt(v), quote=True)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[Sequence[str]] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes else [""] * len(row)
        cells = "".join(
            f"<td class='{c}'>{_e(v)}</td>" if c else f"<td>{_e(v)}</td>" for v, c in zip(row, cls, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _note(text: str) -> str:
    return f"<p><i>{_e(text)}</i></p>"


def _schema_html(t: JSON) -> str:
    rows = schema_rows(t["schema"])
    kind = {"+": "dv-added", "-": "dv-removed", "~": "dv-changed"}
    if not rows:
        return _note("no schema change")
    return _html_table(["", "column", "change"], rows, [[kind[r[0]]] * 3 for r in rows])


def _stats_html(t: JSON) -> str:
    rows = stats_rows(t["stats"])
    if not rows:
        return _note("no change")
    classes = [["", "", "", "dv-changed", "", ""] for _ in rows]
    return _html_table(["column", "figure", "before", "after", "change", "source"], rows, classes)


def _rows_html(t: JSON) -> str:
    r = t["rows"]
    if r is None:
        return _note("rows not compared (ask for rows, or give a key)")
    parts = [f"<p>{_e(rows_title(r))}</p>"]
    if r["changed_cells"]:
        parts.append(f"<p>changed cells: {_e(_changed_cells(r))}</p>")
    for part in ("added", "removed"):
        sample = r[part]
        if sample["rows"]:
            rows = [[fmt(v) for v in row] for row in sample["rows"]]
            parts.append(f"<p>{_e(part)}{' (sample)' if sample['truncated'] else ''}</p>")
            parts.append(_html_table(sample["columns"], rows, [[f"dv-{part}"] * len(row) for row in rows]))
    changed = r["changed"]["rows"]
    if changed:
        keys = list(changed[0]["key"])
        cols = list(dict.fromkeys(c for row in changed for c in row["cells"]))

        def cell(row: JSON, c: str) -> str:
            return f"{fmt(row['cells'][c]['before'])} → {fmt(row['cells'][c]['after'])}" if c in row["cells"] else ""

        rows = [[fmt(row["key"][k]) for k in keys] + [cell(row, c) for c in cols] for row in changed]
        classes = [[""] * len(keys) + ["dv-changed" if c in row["cells"] else "" for c in cols] for row in changed]
        parts.append(f"<p>changed{' (sample)' if r['changed']['truncated'] else ''}</p>")
        parts.append(_html_table(keys + cols, rows, classes))
    return "".join(parts)


def render_html(doc: JSON) -> str:
    out = [f"<div class='datavc-diff'><style>{_CSS}</style>", "<h4>Summary</h4>"]
    out.append(_html_table(["", ""], summary_rows(doc)))
    out.append("<h4>Files</h4>")
    if doc["files"]:
        rows = file_rows(doc)
        classes = [[_STATUS_CLASS[r[0]], "", "", "", "", ""] for r in rows]
        out.append(_html_table(["status", "path", "before", "after", "change", "lines"], rows, classes))
        if len(doc["files"]) > FILES_SHOWN:
            out.append(_note(f"… and {len(doc['files']) - FILES_SHOWN} more"))
    else:
        out.append(_note("no file changed"))
    if doc["table"] is not None:
        tables = [("", doc["table"])]
    else:
        tables = [(f["path"], f["table"]) for f in doc["files"] if f["table"] is not None]
    sections: list[tuple[str, Callable[[JSON], str]]] = [
        ("Schema", _schema_html),
        ("Stats", _stats_html),
        ("Rows", _rows_html),
    ]
    for section, render in sections:
        out.append(f"<h4>{section}</h4>")
        if not tables:
            out.append(_note("no tables to compare"))
        for path, t in tables:
            if path:
                out.append(f"<p><b>{_e(path)}</b></p>")
            out.append(render(t))
    if doc["messages"]:
        out.append("<h4>Messages</h4>")
        rows = [[m["level"], m["file"] or "", m["message"]] for m in doc["messages"]]
        out.append(
            _html_table(["level", "file", "message"], rows, [["dv-error" if r[0] == "error" else ""] * 3 for r in rows])
        )
    out.append("</div>")
    return "".join(out)
