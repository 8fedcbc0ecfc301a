"""How a lineage graph looks: an SVG DAG in the notebook, an indented tree in text."""

from __future__ import annotations

import html
import json
from typing import Any

from .core.lineage import LineageGraph, summary

NODE_W, NODE_H, GAP_X, GAP_Y = 190, 44, 70, 18


def _layers(graph: LineageGraph) -> dict[str, int]:
    """Longest-path layering: each node one column right of everything feeding it."""
    preds: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for e in graph.edges:
        preds[e["to"]].append(e["from"])
    layer: dict[str, int] = {}

    def depth(n: str, stack: frozenset[str] = frozenset()) -> int:
        if n not in layer:
            layer[n] = 0 if not preds[n] or n in stack else 1 + max(depth(p, stack | {n}) for p in preds[n])
        return layer[n]

    for n in graph.nodes:
        depth(n)
    return layer


def _label(node: dict[str, Any]) -> tuple[str, str]:
    if node["kind"] == "dataset":
        rows = f"{node['rows']:,} rows" if node.get("rows") is not None else node["hash"][:10]
        return node["ref"], rows
    return f"⚙ {node['label'] or 'transform'}"[:28], node["transform"]


class LineageView:
    def __init__(self, graph: LineageGraph, as_summary: bool = False) -> None:
        self.graph = graph
        self.as_summary = as_summary

    def to_json(self) -> dict[str, Any]:
        return self.graph.to_json()

    def __str__(self) -> str:
        if self.as_summary:
            return "\n".join(summary(self.graph))
        g = self.graph
        lines = [f"lineage of {g.root} ({'upstream' if g.direction == 'up' else 'downstream'})"]
        for r in g.steps:
            ins = ", ".join(f"{e['dataset']}@v{e['version']}" + ("" if e["declared"] else "*") for e in r["inputs"])
            outs = ", ".join(f"{e['dataset']}@v{e['version']}" + ("" if e["declared"] else "*") for e in r["outputs"])
            lines.append(f"  [{r['id']}] {r.get('message') or 'transform'}: {ins or '-'} -> {outs or '-'}")
        if not g.steps:
            lines.append("  (no recorded transforms)")
        lines.append("  (* detected, not declared)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.as_summary:
            items = "".join(f"<li>{html.escape(s)}</li>" for s in summary(self.graph))
            return f"<ol class='datavc-lineage-summary'>{items}</ol>"
        return self.svg()

    def svg(self) -> str:
        g = self.graph
        layer = _layers(g)
        columns: dict[int, list[str]] = {}
        for n in g.nodes:
            columns.setdefault(layer[n], []).append(n)
        pos = {}
        for col, ids in columns.items():
            for row, n in enumerate(sorted(ids)):
                pos[n] = (10 + col * (NODE_W + GAP_X), 10 + row * (NODE_H + GAP_Y))
        width = 20 + (max(columns) + 1) * (NODE_W + GAP_X) - GAP_X
        height = 20 + max(len(v) for v in columns.values()) * (NODE_H + GAP_Y) - GAP_Y
        parts = [
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' class='datavc-lineage'"
            " font-family='sans-serif' font-size='12'>",
            "<defs><marker id='dvarrow' markerWidth='8' markerHeight='8' refX='7' refY='4' orient='auto'>"
            "<path d='M0,0 L8,4 L0,8 z' fill='#888'/></marker></defs>",
        ]
        for e in g.edges:
            (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
            dash = "" if e["declared"] else " stroke-dasharray='4 3'"
            parts.append(
                f"<line x1='{x1 + NODE_W}' y1='{y1 + NODE_H / 2}' x2='{x2 - 2}' y2='{y2 + NODE_H / 2}'"
                f" stroke='#888'{dash} marker-end='url(#dvarrow)'/>"
            )
        for n, node in g.nodes.items():
            x, y = pos[n]
            title, sub = (html.escape(t) for t in _label(node))
            fill = "#e8f0fe" if node["kind"] == "dataset" else "#fef7e0"
            stroke = "#1a73e8" if n == f"dataset:{g.root}" else "#999"
            parts.append(
                f"<g data-node='{html.escape(n, quote=True)}'><rect x='{x}' y='{y}' rx='6' width='{NODE_W}'"
                f" height='{NODE_H}' fill='{fill}' stroke='{stroke}'/>"
                f"<text x='{x + 8}' y='{y + 18}' font-weight='bold'>{title}</text>"
                f"<text x='{x + 8}' y='{y + 35}' fill='#555'>{sub}</text></g>"
            )
        parts.append("</svg>")
        return "".join(parts)


class JSONView:
    """Any JSON-able document: pretty text, and the same in a <pre> block."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def __str__(self) -> str:
        return json.dumps(self.doc, indent=2, sort_keys=True, default=str)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre class='datavc-json'>{html.escape(str(self))}</pre>"


def transform_text(record: dict[str, Any]) -> str:
    lines = [
        f"transform {record['id']}: {record.get('message') or ''}".rstrip(),
        f"  started {record['started']} by {record.get('user')}, {record.get('duration', 0):.3f} s",
        f"  notebook {record.get('notebook') or '-'} cell {record.get('cell_id') or '-'}",
        "  inputs:  " + (", ".join(f"{e['dataset']}@v{e['version']}" for e in record["inputs"]) or "-"),
        "  outputs: " + (", ".join(f"{e['dataset']}@v{e['version']}" for e in record["outputs"]) or "-"),
        "  params:  " + (json.dumps(record.get("params", {}), sort_keys=True) or "{}"),
        "  code:",
    ]
    lines += ["    " + ln for ln in record.get("source", "").splitlines()]
    return "\n".join(lines)
