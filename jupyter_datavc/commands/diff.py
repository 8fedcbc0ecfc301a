"""diff: what changed between two versions, or between a version and the workspace."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.errors import UsageError
from ..lineage_view import JSONView
from ..verbs import REV_HELP, Verb, arg


def _diff(ctx: Any, ns: argparse.Namespace) -> Any:
    from ..core.diff import diff  # pandas/pyarrow: only when a diff runs, not on every CLI start
    from ..core.diff_budget import parse_size

    key = [k.strip() for k in ns.key.split(",") if k.strip()] if ns.key else None
    memory = parse_size(ns.memory) if ns.memory is not None else None
    if ns.memory is not None and memory is None:
        raise UsageError(f"--memory {ns.memory!r}: give a size such as 512M or 2G")
    result = diff(
        ctx.repo(), ns.a, ns.b, rows=ns.rows, key=key, atol=ns.atol, rtol=ns.rtol, limit=ns.limit, memory=memory
    )
    return JSONView(result.to_json()) if ns.json else result


VERBS = (
    Verb(
        "diff",
        "what changed: files, schema, statistics and (with --rows) rows",
        (
            arg("a", help=REV_HELP),
            arg("b", nargs="?", help="the other revision (default: the workspace)"),
            arg("--rows", action="store_true", help="compare rows too"),
            arg("--key", help="key columns that match rows, comma-separated (implies --rows)"),
            arg("--atol", type=float, default=0.0, help="absolute tolerance for floats"),
            arg("--rtol", type=float, default=0.0, help="relative tolerance for floats"),
            arg("--limit", type=int, default=20, help="sample rows shown of each kind"),
            arg(
                "--memory",
                metavar="SIZE",
                help="table data the row comparison may hold (e.g. 512M); larger tables are compared in"
                " hash partitions on disk (default: $DATAVC_DIFF_MEMORY, else 2G or 1/8 of RAM)",
            ),
            arg("--json", action="store_true", help="one JSON document (jupyter_datavc/schemas/diff.schema.json)"),
        ),
        _diff,
    ),
)
