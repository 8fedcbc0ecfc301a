"""How a repro report looks: a verdict, each step's outputs, the first diverging step with its diff."""

from __future__ import annotations

import html
from typing import Any

from .core.repro import ReproReport
from .runs_view import diff_summary, env_lines, value

STATUS = {
    "match": "match",
    "same_data": "same data, different encoding",
    "mismatch": "MISMATCH",
    "missing": "MISSING",
}
DIFF_LINES = 25


def _step_name(s: dict[str, Any]) -> str:
    cell = f", cell {s['cell_index']}" if s.get("cell_index") is not None else ""
    return f"step {s['index']} {s['label']!r} (transform {s['transform']}{cell})"


class ReproView:
    """The report of ``datavc repro``; ``exit_code`` is 0 when every output matches, else 1."""

    def __init__(self, report: ReproReport) -> None:
        self.report = report
        self.exit_code = report.exit_code

    def to_json(self) -> dict[str, Any]:
        return self.report.to_json()

    def _verdict(self) -> list[str]:
        r = self.report
        if r.ok:
            counts = {k: sum(1 for s in r.steps for o in s["outputs"] if o["status"] == k) for k in STATUS}
            same = f", {counts['same_data']} same data, different encoding" if counts["same_data"] else ""
            return [f"OK: every output matches ({counts['match']} same bytes{same})"]
        lines = ["FAILED: the re-run does not reproduce the manifest"]
        if r.execution.status != "ok":
            cell = f" in cell {r.execution.cell_index}" if r.execution.cell_index is not None else ""
            lines.append(f"  the notebook stopped{cell}: {r.execution.message}")
        first = next((s for s in r.steps if s["index"] == r.first_diverging), None)
        if first is not None:
            lines.append(f"  first diverging step: {_step_name(first)}")
            if first["changed_inputs"]:
                lines.append(f"    its inputs already differed: {', '.join(first['changed_inputs'])}")
            elif first["status"] == "mismatch":
                lines.append("    its inputs were the same as recorded: this step produced different data")
            for o in first["outputs"]:
                if o.get("diff"):
                    lines += self._diff(o)
        if r.nondeterministic:
            names = [_step_name(s) for s in r.steps if s["index"] in r.nondeterministic]
            lines.append("  nondeterministic (two re-runs from the same inputs differ): " + "; ".join(names))
        return lines

    def _diff(self, o: dict[str, Any]) -> list[str]:
        doc = o["diff"]
        if "error" in doc:
            return [f"    diff of {o['dataset']}: {doc['error']}"]
        lines = [f"    diff {o['recorded']} (recorded) -> {o['repro']} (re-run): {diff_summary(doc['summary'])}"]
        from .core.diff import DiffResult  # pandas: only when there is a diff to show

        text = str(DiffResult(doc)).splitlines()
        lines += [f"      {ln}" for ln in text[:DIFF_LINES]]
        if len(text) > DIFF_LINES:
            lines.append(f"      ... ({len(text) - DIFF_LINES} more lines: --json has the whole diff)")
        return lines

    def __str__(self) -> str:
        r = self.report
        lines = [f"repro of {r.manifest}: notebook {r.notebook}, {len(r.steps)} step(s)"]
        for s in r.steps:
            flag = " [nondeterministic]" if s.get("nondeterministic") else ""
            lines.append(f"  {_step_name(s)}: {STATUS[s['status']]}{flag}")
            for o in s["outputs"]:
                lines.append(f"    {o['recorded']} -> re-run {o['repro'] or '-'}: {o['detail']}")
        lines += self._verdict()
        env = env_lines(r.environment, packages=False)
        if env:
            lines.append("  environment differences: " + "; ".join(env))
        elif not r.ok:
            lines.append("  environment differences: none (same Python, platform and package versions)")
        if r.metrics:
            diffs = "; ".join(f"{k} {value(v['recorded'])} -> {value(v['repro'])}" for k, v in r.metrics.items())
            lines.append(f"  metrics that differ: {diffs}")
        where = ", ".join(r.workdirs)
        lines.append(f"work directory: {where} (kept)" if r.kept else "work directory removed (--keep keeps it)")
        lines += [f"warning: {w}" for w in r.warnings]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        r = self.report
        color = {"match": "#dcfce7", "same_data": "#e0f2fe", "mismatch": "#fee2e2", "missing": "#fee2e2"}
        rows = []
        for s in r.steps:
            for o in s["outputs"] or [{"recorded": "-", "repro": None, "detail": "", "status": s["status"]}]:
                rows.append(
                    f"<tr style='background:{color[s['status']]}'><td>{e(_step_name(s))}</td>"
                    f"<td>{e(str(o['recorded']))}</td><td>{e(str(o['repro'] or '-'))}</td>"
                    f"<td>{e(STATUS[o['status']])}</td><td>{e(o['detail'])}</td></tr>"
                )
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in ("step", "recorded", "re-run", "status", ""))
        verdict = "".join(f"<div>{e(line)}</div>" for line in self._verdict() if "      " not in line[:6])
        diffs = "".join(
            _diff_html(o["diff"])
            for s in r.steps
            if s["index"] == r.first_diverging
            for o in s["outputs"]
            if o.get("diff") and "error" not in o["diff"]
        )
        env = "".join(f"<li>{e(x)}</li>" for x in env_lines(r.environment, packages=False))
        return (
            f"<div class='datavc-repro'><b>repro of {e(r.manifest)}</b>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{verdict}{diffs}" + (f"<h4>environment differences</h4><ul>{env}</ul>" if env else "") + "</div>"
        )


def _diff_html(doc: Any) -> str:
    from .core.diff import DiffResult

    return DiffResult(doc)._repr_html_()
