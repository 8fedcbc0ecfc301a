"""verify, audit, gc and purge from the shell and in a notebook: exit codes, text, JSON, escaped HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_datavc.cli import main
from jupyter_datavc.core.repo import Repo

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def store(project: Path) -> Repo:
    repo = Repo.init(project)
    (project / "raw.csv").write_text("a\n1\n")
    repo.add("raw.csv", name="raw", message=HOSTILE)
    (project / "raw.csv").write_text("a\n2\n")
    repo.add("raw.csv", name="raw")
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_exit_codes(store: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "--all")
    assert code == 0 and "verified 2 version(s)" in out and "no problems" in out
    chunk = store.manifest(store.resolve("raw@v1")).files[0].chunks[0][0]
    path = store.objects.path(chunk)
    os.chmod(path, 0o644)
    path.write_bytes(b"a\n9\n")
    code, out, _ = run(capsys, "verify", "raw@v1")
    assert code == 1 and "1 problem(s)" in out and "hash-mismatch" in out and chunk in out
    assert run(capsys, "verify")[0] == 0  # the latest version does not use that chunk
    code, _, err = run(capsys, "verify", "nope")
    assert code == 2 and "unknown dataset" in err
    code, _, err = run(capsys, "verify", "--remote")
    assert code == 2 and "no default remote" in err


def test_audit_log_verify_report_and_json(store: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    store.load("raw@v1")
    code, out, _ = run(capsys, "audit")
    assert code == 0 and "audit log (4 event(s))" in out and "load" in out
    assert "last 2 of 4" in run(capsys, "audit", "--limit", "2")[1]
    events = json.loads(run(capsys, "audit", "--json")[1])
    assert [e["operation"] for e in events] == ["init", "add", "add", "load"]
    code, out, _ = run(capsys, "audit", "--verify")
    assert code == 0 and "intact: 4 event(s)" in out
    code, out, _ = run(capsys, "audit", "--report", "raw@v1")
    assert code == 0 and "chain of custody of raw@v1" in out and "2 event(s) name raw@v1" in out
    doc = json.loads(run(capsys, "audit", "--report", "raw@v1", "--json")[1])
    assert doc["chain"]["ok"] and [e["operation"] for e in doc["events"]] == ["add", "load"]
    # tamper: the second event's user
    log = store.dir / "audit.log"
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"user":"tester"', '"user":"mallory"')
    log.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "audit", "--verify")
    assert code == 1 and "BROKEN" in out and "event 2 (line 2) was edited" in out
    assert json.loads(run(capsys, "audit", "--verify", "--json")[1])["ok"] is False
    assert run(capsys, "audit", "--report", "raw@v1")[0] == 1
    code, _, err = run(capsys, "audit", "--verify", "--report", "raw@v1")
    assert code == 2 and "not both" in err


def test_gc_and_purge_from_the_shell(store: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gc", "--dry-run")
    assert code == 0 and "would remove 0 chunk(s)" in out
    with pytest.raises(SystemExit) as info:
        main(["purge", "raw@v1"])
    assert info.value.code == 2 and "--reason" in capsys.readouterr().err
    code, out, _ = run(capsys, "purge", "raw@v1", "--reason", "GDPR erasure request #123")
    assert code == 0 and "purged raw@v1: removed 1 chunk(s)" in out and "GDPR erasure request #123" in out
    code, _, err = run(capsys, "load", "raw@v1")
    assert code == 2 and "raw@v1 was purged on" in err and "by tester: GDPR erasure request #123" in err
    code, out, _ = run(capsys, "verify", "--all")
    assert code == 0 and "purged on purpose (data expected missing): raw@v1" in out
    assert "removed 0 chunk(s)" in run(capsys, "gc")[1]


def test_real_exit_status_of_a_failed_check(store: Repo, project: Path) -> None:
    (store.dir / "audit.log").write_text("garbage\n")
    env = {**os.environ, "DATAVC_AUTHOR": "cli"}
    r = subprocess.run(
        [sys.executable, "-m", "jupyter_datavc", "audit", "--verify"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 1 and "line 1 is not a readable audit event" in r.stdout and not r.stderr


def test_notebook_report_is_escaped_html(store: Repo) -> None:
    store.audit("run", note=HOSTILE, inputs=["raw@v1"])
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_datavc")
    for line in ("audit --report raw@v1", "audit", "verify --all", "gc --dry-run", "audit --verify"):
        view = ip.run_line_magic("dv", line)
        page = view._repr_html_()
        assert "<script>" not in page and page.startswith("<div class='datavc'>")
    page = ip.run_line_magic("dv", "audit --report raw@v1")._repr_html_()
    assert "&lt;script&gt;" in page and "chain of custody of raw@v1" in page and "run" in page
