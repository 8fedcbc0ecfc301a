"""The audit log: operations append hash-chained events; tampering is found and named."""

from __future__ import annotations

import itertools
import json
import os
import threading
from pathlib import Path

import pytest
from integrity_util import python

from jupyter_datavc.core import audit
from jupyter_datavc.core.audit import GENESIS, AuditWarning, event_hash, read_events, verify_chain
from jupyter_datavc.core.audit_report import mentions, report
from jupyter_datavc.core.repo import Repo


def log_lines(repo: Repo) -> list[str]:
    return (repo.dir / "audit.log").read_text().splitlines()


def write_lines(repo: Repo, lines: list[str]) -> None:
    (repo.dir / "audit.log").write_text("".join(line + "\n" for line in lines))


@pytest.fixture
def logged(repo: Repo) -> Repo:
    """A repository whose log holds 8 events."""
    for i in range(7):
        repo.audit("note", n=i)
    return repo


def test_operations_append_events(repo: Repo, project: Path) -> None:
    (project / "a.csv").write_text("x\n1\n")
    v1 = repo.add("a.csv", name="a")
    repo.add("a.csv", name="a")  # unchanged: no version, no event
    (project / "a.csv").write_text("x\n2\n")
    repo.add("a.csv", name="a")
    repo.tag("a@v1", "first")
    repo.load("a@first")
    repo.load("a")  # latest: not pinned, not logged
    repo.checkout("a@v1", force=True)
    events = read_events(repo.dir)
    assert [e.operation for e in events] == ["init", "add", "add", "tag", "load", "checkout"]
    assert [e.id for e in events] == [1, 2, 3, 4, 5, 6]
    add = events[1]
    assert add.user == "tester" and add.host and add.time.endswith("Z")
    assert add.details == {"dataset": "a", "version": 1, "manifest": v1.manifest, "path": "a.csv", "source": "file"}
    assert events[0].prev == GENESIS
    assert all(b.prev == a.hash == event_hash(a.to_json()) for a, b in itertools.pairwise(events))
    assert events[5].details["target"] == "a.csv" and events[4].details["rev"] == "a@first"
    assert verify_chain(repo.dir).ok


def test_an_edited_event_is_named(logged: Repo) -> None:
    lines = log_lines(logged)
    doc = json.loads(lines[3])
    doc["details"]["n"] = 99
    write_lines(logged, [*lines[:3], json.dumps(doc), *lines[4:]])
    chain = verify_chain(logged.dir)
    assert [(p.kind, p.line) for p in chain.problems] == [("edited", 4)]
    assert "event 4 (line 4) was edited" in chain.problems[0].message


def test_an_edit_with_a_recomputed_hash_is_named(logged: Repo) -> None:
    lines = log_lines(logged)
    doc = json.loads(lines[3])
    doc["user"] = "someone else"
    doc["hash"] = event_hash(doc)
    write_lines(logged, [*lines[:3], json.dumps(doc), *lines[4:]])
    chain = verify_chain(logged.dir)
    assert [p.kind for p in chain.problems] == ["edited"]
    assert "event 4 (line 4) was edited or replaced" in chain.problems[0].message


@pytest.mark.parametrize("index", [0, 4])
def test_a_deleted_event_is_named(logged: Repo, index: int) -> None:
    lines = log_lines(logged)
    write_lines(logged, lines[:index] + lines[index + 1 :])
    chain = verify_chain(logged.dir)
    assert [p.kind for p in chain.problems] == ["deleted"]
    assert chain.problems[0].message.startswith(f"event {index + 1} deleted")


def test_deleted_runs_of_events_are_named(logged: Repo) -> None:
    lines = log_lines(logged)
    write_lines(logged, lines[:2] + lines[5:])
    assert verify_chain(logged.dir).problems[0].message.startswith("events 3-5 deleted")


def test_reordered_events_are_named(logged: Repo) -> None:
    lines = log_lines(logged)
    swapped = [*lines[:3], lines[4], lines[3], *lines[5:]]
    write_lines(logged, swapped)
    chain = verify_chain(logged.dir)
    assert [p.kind for p in chain.problems] == ["reordered"]
    assert "event 5 comes before event 4" in chain.problems[0].message
    moved = [*lines[:2], *lines[3:], lines[2]]  # event 3 moved to the end
    write_lines(logged, moved)
    assert [p.kind for p in verify_chain(logged.dir).problems] == ["reordered"]


def test_inserted_events_are_named(logged: Repo) -> None:
    lines = log_lines(logged)
    # a copy of an event, and a forged event chained correctly onto its predecessor
    write_lines(logged, [*lines[:5], lines[2], *lines[5:]])
    chain = verify_chain(logged.dir)
    assert chain.problems[0].kind == "inserted" and "event 3 appears twice (lines 3 and 6)" in chain.problems[0].message
    prev = json.loads(lines[4])
    forged = {**prev, "id": 100, "operation": "purge", "details": {}, "prev": prev["hash"]}
    forged["hash"] = event_hash(forged)
    write_lines(logged, [*lines[:5], json.dumps(forged), *lines[5:]])
    chain = verify_chain(logged.dir)
    assert [(p.kind, p.line) for p in chain.problems] == [("inserted", 6)]
    write_lines(logged, [*lines[:5], "not json at all", *lines[5:]])
    assert verify_chain(logged.dir).problems[0].kind == "damaged"


def test_appends_continue_after_damage_and_torn_writes(logged: Repo) -> None:
    path = logged.dir / "audit.log"
    with open(path, "ab") as f:
        f.write(b'{"id": 9, "ti')  # a write cut short: no newline
    logged.audit("after-torn")
    events = read_events(logged.dir)
    assert [e.id for e in events][-2:] == [8, 9] and verify_chain(logged.dir).ok
    lines = log_lines(logged)
    write_lines(logged, [*lines[:-1], lines[-1][:-5] + "}}"])  # the last event damaged
    logged.audit("after-damage")
    chain = verify_chain(logged.dir)
    assert [p.kind for p in chain.problems] == ["damaged"] and chain.problems[0].line == 9
    assert read_events(logged.dir)[-1].id == 10


def test_an_unwritable_log_warns_and_the_operation_still_happens(
    repo: Repo, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit, "append", full)
    (project / "a.csv").write_text("x\n1\n")
    with pytest.warns(AuditWarning, match="no space left on device"):
        repo.tag(repo.add("a.csv", name="a").ref, "t")
    assert repo.resolve("a@t").number == 1


def test_threads_and_processes_append_without_breaking_the_chain(repo: Repo) -> None:
    code = "import sys\nfrom jupyter_datavc.core.repo import Repo\nr = Repo(sys.argv[1])\n"
    code += "for i in range(25): r.audit('p', i=i)"
    procs = [python(code, str(repo.root)) for _ in range(3)]
    threads = [threading.Thread(target=lambda: [repo.audit("t", i=i) for i in range(25)]) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    chain = verify_chain(repo.dir)
    assert chain.ok and chain.events == 1 + 5 * 25
    assert [e.id for e in read_events(repo.dir)] == list(range(1, 127))


def test_custody_report_collects_every_event_naming_a_version(repo: Repo, project: Path) -> None:
    (project / "a.csv").write_text("x\n1\n")
    v1 = repo.add("a.csv", name="a")
    (project / "a.csv").write_text("x\n2\n")
    v2 = repo.add("a.csv", name="a")
    repo.tag("a@v1", "baseline")
    repo.load("a@v1")
    repo.load("a@v2")
    # other engineers' operations name versions in their own way
    repo.audit("transform", inputs=[{"dataset": "a", "version": 1, "manifest": v1.manifest}], outputs=["b@v1"])
    repo.audit("push", refs=["a@v1", "a@v2"], remote="origin")
    repo.audit("run", datasets=[{"dataset": "a", "manifest": v1.manifest}])
    rep = report(repo, "a@baseline")
    assert rep.version == repo.resolve("a@v1") and rep.chain.ok and rep.purge is None
    assert [e.operation for e in rep.events] == ["add", "tag", "load", "transform", "push", "run"]
    assert [e.operation for e in report(repo, "a@v2").events] == ["add", "load", "push"]
    assert not mentions({"dataset": "a", "version": 2, "manifest": v1.manifest}, v1)
    assert not mentions({"dataset": "b", "version": 1}, v1) and mentions("a@v2", v2)
    doc = rep.to_json()
    assert doc["chain"]["ok"] and len(doc["events"]) == 6


def test_log_is_kept_out_of_git(repo: Repo) -> None:
    ignore = (repo.dir / ".gitignore").read_text().splitlines()
    assert "audit.log" in ignore and (repo.dir / "audit.log").exists()
    assert os.path.exists(repo.dir / "locks" / "audit.lock")
