"""``datavc``: the verbs on the command line. Errors: one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from . import commands
from .core.errors import DataVCError
from .core.jobs import Job
from .verbs import CLI, build_parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own usage errors: one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _present_job_cli(job: Job, repo: Any) -> Any:
    from . import views

    views.show_progress_on_terminal(job)
    version = job.wait()
    return views.version_view(version, unchanged=bool(job.info.get("unchanged")))


def _write_table(df: Any, out: str) -> str:
    import pyarrow as pa

    from .core import tabular

    table = pa.Table.from_pandas(df, preserve_index=False) if not isinstance(df, pa.Table) else df
    fmt = tabular.format_of(out)
    path = Path(out)
    if fmt == "parquet":
        tabular.write_parquet(table, path)
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    elif fmt == "arrow":
        import pyarrow.feather as feather

        feather.write_feather(table, path)
    elif fmt == "jsonl":
        table.to_pandas().to_json(path, orient="records", lines=True)
    else:
        raise DataVCError(f"--out {out}: unknown table format (use .parquet, .csv, .feather or .jsonl)")
    return f"wrote {table.num_rows:,} rows to {out}"


def _verb_name(argv: list[str]) -> str | None:
    """The verb in ``argv`` (after the global ``-C DIR``), or None for help and other options."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "-C":
            i += 2
        elif token.startswith("-C"):
            i += 1
        elif token.startswith("-"):
            return None
        else:
            return token
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = build_parser("datavc", CLI, _Parser, commands.verbs_for(_verb_name(args)))
    ns = parser.parse_args(args)
    cwd = Path(ns.cwd).resolve() if ns.cwd else None
    ctx = commands.Context(cwd=cwd, present_job=_present_job_cli)
    try:
        result = commands.run(ctx, ns)
        if ns.verb == "load":
            result = _render_load(result, ns)
    except DataVCError as err:
        print(f"datavc: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("datavc: interrupted; nothing was committed", file=sys.stderr)
        return 130
    for notice in ctx.notices:
        print(notice, file=sys.stderr)
    print(result)
    return int(getattr(result, "exit_code", 0))  # 1: a check (verify, audit --verify) found problems


def _render_load(result: Any, ns: argparse.Namespace) -> Any:
    if isinstance(result, (str, os.PathLike)):
        return str(result)
    if ns.out:
        return _write_table(result, ns.out)
    import pandas as pd

    with pd.option_context("display.max_columns", 20, "display.width", 120):
        return f"{result.head(ns.head)}\n[{len(result):,} rows x {len(result.columns)} columns]"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
