"""transform (a %%dv cell), lineage, show-transform."""

from __future__ import annotations

import argparse
from typing import Any

from .. import views
from ..core.errors import UsageError
from ..lineage_view import JSONView, LineageView, transform_text
from ..verbs import MAGIC, REV_HELP, Verb, arg


def _transform(ctx: Any, ns: argparse.Namespace) -> Any:
    if ctx.cell is None or ctx.run_cell is None:
        raise UsageError("transform runs a cell: write %%dv transform ... as the first line of the cell")
    # imported here: capture, environment and HTTP are for transform cells, not every CLI start
    from ..core import openlineage
    from ..core.transform import TransformSpec, parse_outputs, parse_params, run_transform

    spec = TransformSpec(
        inputs=list(ns.inputs or []),
        outputs=parse_outputs(list(ns.outputs or [])),
        params=parse_params(ns.params),
        message=ns.message,
    )
    repo = ctx.repo()
    cell = ctx.cell
    record = run_transform(
        repo,
        lambda: ctx.run_cell(cell),
        spec,
        source=cell,
        namespace=ctx.namespace if ctx.namespace is not None else {},
        notebook=ctx.cell_info.get("notebook"),
        cell_id=ctx.cell_info.get("cell_id"),
    )
    warning = openlineage.emit_configured(repo, record)
    if warning:
        ctx.notices.append(warning)
    ins = ", ".join(f"{e['dataset']}@v{e['version']}" for e in record["inputs"]) or "nothing tracked"
    outs = ", ".join(f"{e['dataset']}@v{e['version']}" for e in record["outputs"]) or "nothing tracked"
    rows = f" {record['rows']}" if record["rows"] else ""
    return views.Message(f"transform {record['id']}: {ins} -> {outs}.{rows}")


def _lineage(ctx: Any, ns: argparse.Namespace) -> Any:
    from ..core import lineage, openlineage

    repo = ctx.repo()
    graph = lineage.lineage(repo, ns.rev, direction="down" if ns.down else "up", depth=ns.depth)
    if ns.openlineage:
        return JSONView([ev for r in graph.steps for ev in openlineage.events(repo, r)])
    if ns.json:
        return JSONView(graph.to_json())
    return LineageView(graph, as_summary=ns.summary)


def _show_transform(ctx: Any, ns: argparse.Namespace) -> Any:
    from ..core import lineage

    record = lineage.get(ctx.repo(), ns.id)
    return JSONView(record) if ns.json else views.Message(transform_text(record))


VERBS = (
    Verb(
        "transform",
        "run this cell as a transform and record its lineage (%%dv transform ...)",
        (
            arg("--in", dest="inputs", action="append", metavar="NAME@REV", help="a declared input version"),
            arg("--out", dest="outputs", action="append", metavar="NAME=PATH|VARIABLE", help="a declared output"),
            arg("--params", help="NAME=VALUE[,NAME=VALUE] recorded as parameters"),
            arg("--message", "-m", default="", help="what this step does"),
        ),
        _transform,
        where=MAGIC,
    ),
    Verb(
        "lineage",
        "where a version came from (or, with --down, what was made from it)",
        (
            arg("rev", help=REV_HELP),
            arg("--down", action="store_true", help="downstream instead of upstream"),
            arg("--depth", type=int, default=10, help="how many steps to follow"),
            arg("--summary", action="store_true", help="the step-by-step story"),
            arg("--json", action="store_true", help="the graph as JSON"),
            arg("--openlineage", action="store_true", help="OpenLineage RunEvents of the steps, as JSON"),
        ),
        _lineage,
    ),
    Verb(
        "show-transform",
        "the code, parameters, inputs and outputs of one transform",
        (arg("id", help="transform id (or a unique prefix)"), arg("--json", action="store_true")),
        _show_transform,
    ),
)
