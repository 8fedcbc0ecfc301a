"""How runs look: the list, one run, and the comparison of two runs (text for the CLI, escaped HTML)."""

from __future__ import annotations

import html
import json
from typing import Any

from .views import Table

e = html.escape


def value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return json.dumps(v) if not isinstance(v, str) else v


def diff_summary(summary: dict[str, Any] | None) -> str:
    """One line from a diff summary (core/diff.py): files, rows, columns and row changes."""
    if not summary:
        return "no diff"
    if "error" in summary:
        return str(summary["error"])
    if summary.get("identical"):
        return "identical files"
    files = summary.get("files") or {}
    parts = [", ".join(f"{files[k]} {k}" for k in ("added", "removed", "modified", "renamed") if files.get(k))]
    rows = summary.get("rows") or {}
    if rows.get("before") is not None or rows.get("after") is not None:
        change = rows.get("change")
        parts.append(f"rows {rows.get('before')} -> {rows.get('after')}" + (f" ({change:+,})" if change else ""))
    cols = summary.get("columns") or {}
    col = [f"{cols[k]} column(s) {k.replace('_', ' ')}" for k in ("added", "removed", "type_changed") if cols.get(k)]
    parts += col
    changes = summary.get("row_changes") or {}
    moved = [f"{changes[k]:,} {k}" for k in ("added", "removed", "changed") if changes.get(k)]
    if moved:
        parts.append("rows " + ", ".join(moved))
    return "; ".join(p for p in parts if p) or "differs"


def env_lines(env: dict[str, Any], packages: bool = True) -> list[str]:
    lines = [f"{k}: {value(v['a'])} -> {value(v['b'])}" for k, v in (env.get("fields") or {}).items()]
    pk = env.get("packages") or {}
    lines += [f"{k} {v['a']} -> {v['b']}" for k, v in (pk.get("changed") or {}).items()]
    if packages:
        lines += [f"{k} {v} (only in b)" for k, v in (pk.get("added") or {}).items()]
        lines += [f"{k} {v} (only in a)" for k, v in (pk.get("removed") or {}).items()]
    return lines


def lineage_lines(story: dict[str, list[str]]) -> list[str]:
    """Both lineage stories without repeating the steps they share."""
    a, b = story["a"], story["b"]
    lines = [f"    lineage: {line}" for line in b if line in a]
    lines += [f"    lineage (a only): {line}" for line in a if line not in b]
    lines += [f"    lineage (b only): {line}" for line in b if line not in a]
    return lines


def runs_table(docs: list[dict[str, Any]]) -> Table:
    rows = []
    for d in docs:
        metrics = ", ".join(f"{k}={value(v)}" for k, v in (d.get("metrics") or {}).items())
        params = ", ".join(f"{k}={value(v)}" for k, v in (d.get("params") or {}).items())
        rows.append((d["name"], d.get("state"), d.get("started"), len(d.get("steps", [])), params, metrics))
    return Table(["run", "state", "started", "steps", "params", "metrics"], rows, "runs")


def run_text(d: dict[str, Any]) -> str:
    lines = [
        f"run {d['name']}: {d.get('state') or d.get('status')}",
        f"  started {d.get('started')}" + (f", ended {d['ended']}" if d.get("ended") else ""),
        f"  notebook {d.get('notebook') or '-'}",
        "  params:  " + (json.dumps(d.get("params") or {}, sort_keys=True)),
        "  metrics: " + (json.dumps(d.get("metrics") or {}, sort_keys=True)),
        "  steps:",
    ]
    for s in d.get("steps", []):
        ins = ", ".join(f"{x['dataset']}@v{x['version']}" for x in s["inputs"]) or "-"
        outs = ", ".join(f"{x['dataset']}@v{x['version']}" for x in s["outputs"]) or "-"
        lines.append(f"    [{s['transform']}] {s.get('message') or 'transform'}: {ins} -> {outs}")
    if not d.get("steps"):
        lines.append("    (none)")
    return "\n".join(lines)


class RunView:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def __str__(self) -> str:
        return run_text(self.doc)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre class='datavc-run'>{e(str(self))}</pre>"


class ComparisonView:
    """``runs compare``: parameters, metrics, datasets, code and environment of two runs."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def to_json(self) -> dict[str, Any]:
        return self.doc

    def _metric(self, name: str, m: dict[str, Any]) -> str:
        a, b = ("-" if v is None else value(v) for v in (m["a"], m["b"]))
        text = f"{name}: {a} -> {b}"
        if m.get("delta") is not None:
            text += f" ({m['delta']:+.6g}" + (f", {100 * m['relative']:+.2f}%" if m.get("relative") else "") + ")"
        return text

    def sections(self) -> list[tuple[str, list[str]]]:
        d = self.doc
        params = [
            f"{k}: {value(v['a']) if v['in_a'] else '(unset)'} -> {value(v['b']) if v['in_b'] else '(unset)'}"
            for k, v in d["params"].items()
        ]
        metrics = [self._metric(k, m) for k, m in d["metrics"].items()]
        data = []
        for ds in d["datasets"]:
            if ds["status"] == "changed":
                data.append(f"{ds['dataset']}: {ds['a']} -> {ds['b']}: {diff_summary(ds['diff'])}")
                for st in ds.get("statistics") or []:
                    figs = ", ".join(f"{k} {value(a)} -> {value(b)}" for k, (a, b) in st["figures"].items())
                    data.append(f"    {st['column']}: {figs}")
                data += lineage_lines(ds["lineage"])
            else:
                data.append(f"{ds['dataset']}: {ds['status']} ({ds['a'] or ds['b']})")
        return [
            ("parameters", params or ["(no changes)"]),
            ("metrics", metrics or ["(none)"]),
            ("datasets", data or ["(none)"]),
            ("code", d["code"]["diff"].splitlines() if d["code"]["changed"] else ["(no changes)"]),
            ("environment", env_lines(d["environment"]) or ["(no changes)"]),
        ]

    def __str__(self) -> str:
        lines = [f"compare {self.doc['a']['label']} -> {self.doc['b']['label']}"]
        for title, items in self.sections():
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = [f"<div class='datavc-compare'><b>{e(self.doc['a']['label'])} → {e(self.doc['b']['label'])}</b>"]
        for title, items in self.sections():
            parts.append(f"<h4>{e(title)}</h4>")
            if title == "code":
                parts.append("<pre>" + "\n".join(_diff_line(i) for i in items) + "</pre>")
            else:
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>")
        return "".join(parts) + "</div>"


def _diff_line(line: str) -> str:
    if line.startswith("+") and not line.startswith("+++"):
        return f"<span style='background:#dcfce7'>{e(line)}</span>"
    if line.startswith("-") and not line.startswith("---"):
        return f"<span style='background:#fee2e2'>{e(line)}</span>"
    return e(line)
