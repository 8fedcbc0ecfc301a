"""Hostile and damaged input: refused or reported in one clear line, never a traceback or a write outside."""

from __future__ import annotations

import errno
import json
import os
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from integrity_util import craft_version, manifest_doc

from jupyter_datavc.cli import main
from jupyter_datavc.core.audit import verify_chain
from jupyter_datavc.core.errors import (
    CorruptMetadata,
    DataVCError,
    InvalidRevision,
    PathError,
    StorageError,
    UnsafePath,
)
from jupyter_datavc.core.manifest import Manifest, path_hashes
from jupyter_datavc.core.objects import hash_bytes
from jupyter_datavc.core.paths import join_all_inside, join_inside
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.core.revision import RevSpec, parse_rev
from jupyter_datavc.core.verify import verify

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- paths that would escape -------------------------------------------------------------------
@pytest.mark.parametrize("evil", ["../escape.txt", "/tmp/datavc-abs-escape.txt", "a/../../escape.txt", "a//b"])
def test_checkout_refuses_paths_that_escape(repo: Repo, project: Path, evil: str) -> None:
    chunk = repo.objects.put_bytes(b"owned")
    rev = craft_version(repo, "evil", manifest_doc([{"path": evil, "size": 5, "hash": chunk}]), path="evil")
    with pytest.raises(UnsafePath, match="unsafe path"):
        repo.checkout(rev)
    with pytest.raises(UnsafePath):
        repo.checkout(rev, to=str(project / "elsewhere"))
    assert not (project.parent / "escape.txt").exists() and not Path("/tmp/datavc-abs-escape.txt").exists()


@pytest.mark.parametrize("where", ["../outside", "/tmp", "data/../../outside"])
def test_checkout_refuses_a_ref_whose_workspace_path_escapes(repo: Repo, project: Path, where: str) -> None:
    chunk = repo.objects.put_bytes(b"owned")
    rev = craft_version(repo, "evil", manifest_doc([{"path": "f.txt", "size": 5, "hash": chunk}]), path=where)
    with pytest.raises(UnsafePath):
        repo.checkout(rev)
    assert not (project.parent / "outside").exists()


def test_checkout_refuses_symlinks_leading_outside(repo: Repo, project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "d" / "sub").mkdir(parents=True)
    (project / "d" / "sub" / "f.txt").write_text("v1")
    repo.add("d", name="d")
    # a folder inside the dataset replaced by a symlink out of it
    (project / "d" / "sub" / "f.txt").unlink()
    (project / "d" / "sub").rmdir()
    (project / "d" / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathError, match="symlink"):
        repo.checkout("d@v1", force=True)
    # the dataset folder itself, and a folder above it, replaced by symlinks
    (project / "d" / "sub").unlink()
    (project / "d").rmdir()
    (project / "d").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath, match="symlink"):
        repo.checkout("d@v1", force=True)
    (project / "d").unlink()
    (project / "top").symlink_to(outside, target_is_directory=True)
    chunk = repo.objects.put_bytes(b"owned")
    rev = craft_version(repo, "evil", manifest_doc([{"path": "f.txt", "size": 5, "hash": chunk}]), path="top/x")
    with pytest.raises(UnsafePath, match="symlink"):
        repo.checkout(rev)
    assert list(outside.iterdir()) == []


def test_join_all_inside_checks_each_folder_on_the_way(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    rels = ["x.txt", "a/y.txt", "a/b/z.txt", "a/b/new/deeper/w.txt"]
    assert join_all_inside(root, rels) == [join_inside(root, r) for r in rels]
    (tmp_path / "outside").mkdir()
    (root / "a" / "b" / "new").symlink_to(tmp_path / "outside", target_is_directory=True)
    for rels in (["a/y.txt", "a/b/new/deeper/w.txt"], ["a/b/new/f"]):
        with pytest.raises(UnsafePath, match="symlink"):
            join_all_inside(root, rels)
    with pytest.raises(UnsafePath):
        join_all_inside(root, ["a/../../etc/passwd"])


# -- damaged metadata: one clear line -----------------------------------------------------------
def damage_cases(repo: Repo) -> list[tuple[str, Path, bytes]]:
    v = repo.resolve("raw@v1")
    return [
        ("truncated ref", repo.dir / "refs" / "raw" / "v1.json", b'{"dataset": "raw", "num'),
        (
            "ref naming a path as manifest",
            repo.dir / "refs" / "raw" / "v1.json",
            _ref(v, manifest="../../../etc/passwd"),
        ),
        ("ref with a list as manifest", repo.dir / "refs" / "raw" / "v1.json", _ref(v, manifest=[1, 2])),
        ("ref with a string number", repo.dir / "refs" / "raw" / "v1.json", _ref(v, number="1")),
        ("truncated manifest", repo.manifests.path(v.manifest), b'{"format":"datavc.man'),
        ("empty chunk file", repo.objects.path(repo.manifest(v).files[0].chunks[0][0]), b""),
        ("truncated tag", repo.dir / "refs" / "raw" / "tags" / "t.json", b'{"vers'),
        ("garbage config", repo.dir / "config.json", b"\x00\xff not json"),
    ]


def _ref(v, **changes: object) -> bytes:
    doc = {**v.to_json(), **changes}
    doc.pop("tags")
    return json.dumps(doc).encode()


def test_damaged_metadata_gives_one_clear_line(repo: Repo, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw.csv").write_text("a\n1\n")
    repo.add("raw.csv", name="raw")
    repo.tag("raw@v1", "t")
    for what, path, data in damage_cases(repo):
        original = path.read_bytes()
        os.chmod(path, 0o644)
        path.write_bytes(data)
        for argv in (["load", "raw@t"], ["checkout", "raw@v1", "--to", "out.csv"], ["log", "raw"], ["status"]):
            capsys.readouterr()
            code = main(["-C", str(project), *argv])
            err = capsys.readouterr().err
            if code != 0:  # some commands do not touch what was damaged
                assert code == 2 and err.startswith("datavc: error: ") and len(err.strip().splitlines()) == 1, (
                    what,
                    err,
                )
        with pytest.raises(DataVCError):
            Repo(project).load("raw@t")
        if what != "garbage config":
            main(["-C", str(project), "verify", "--all"])
            assert "Traceback" not in capsys.readouterr().err
            report = verify(Repo(project), all=True)
            assert not report.ok, what
        path.write_bytes(original)
    assert verify(Repo(project), all=True).ok


# -- fuzzing -------------------------------------------------------------------------------------
@FUZZ
@given(st.text(max_size=40) | st.from_regex(r"[A-Za-z0-9][\w.\-]{0,5}(@[\w~.\-]{0,12})?(~\d{0,3})?", fullmatch=True))
def test_fuzz_revision_parser(text: str) -> None:
    try:
        spec = parse_rev(text)
    except InvalidRevision as err:
        assert "\n" not in str(err)
        return
    assert isinstance(spec, RevSpec) and parse_rev(str(spec)) == spec


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ENTRY = st.fixed_dictionaries(
    {"path": st.sampled_from(["a", "a/b", "../x", "/abs", "", "a/./b", "ok.csv"]) | st.text(max_size=6)},
    optional={
        "size": st.integers(-2, 10) | JSON,
        "hash": st.sampled_from(["0" * 32, "x"]) | JSON,
        "chunks": st.lists(st.lists(JSON, max_size=3), max_size=3) | JSON,
        "table": JSON,
    },
)
MANIFEST = st.fixed_dictionaries(
    {"format": st.just("datavc.manifest") | JSON, "kind": st.sampled_from(["file", "dir", "x"]) | JSON},
    optional={"version": st.integers(-1, 3) | JSON, "files": st.lists(ENTRY, max_size=3) | JSON, "meta": JSON},
)


@FUZZ
@given(st.one_of(MANIFEST.map(lambda d: json.dumps(d).encode()), st.binary(max_size=64)))
def test_fuzz_manifest_reader(data: bytes) -> None:
    try:
        light = path_hashes(data)  # the path -> hash view used by status: never more lenient on paths
    except (CorruptMetadata, UnsafePath) as err:
        assert "\n" not in str(err)
        light = None
    try:
        manifest = Manifest.from_bytes(data)
    except (CorruptMetadata, UnsafePath) as err:
        assert "\n" not in str(err)
        return
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest  # what it accepts round-trips
    assert light == (manifest.kind, {f.path: f.hash for f in manifest.files})


@FUZZ
@given(doc=MANIFEST)
def test_fuzz_a_stored_hostile_manifest_through_verify_load_and_checkout(repo: Repo, doc: dict) -> None:
    rev = craft_version(repo, "fz", doc, path="fz")  # one repository, one more crafted version per example
    for call in (lambda: verify(repo, rev), lambda: repo.load(rev), lambda: repo.checkout(rev, force=True)):
        try:
            call()
        except DataVCError as err:
            assert "\n" not in str(err)
    assert {p.name for p in repo.root.iterdir()} <= {"fz", ".datavc"}


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            [
                "add",
                "load",
                "verify",
                "audit",
                "gc",
                "purge",
                "--reason",
                "--all",
                "--report",
                "--json",
                "--dry-run",
                "raw@v1",
                "x@@",
                "--to",
                "-n",
                "'",
                '"',
                "--limit",
                "-1",
                "--bogus",
                "checkout",
                "tag",
            ]
        )
        | st.text(max_size=8),
        max_size=6,
    )
)
def test_fuzz_magic_argument_parser(words: list[str]) -> None:
    from IPython.core.error import UsageError

    from jupyter_datavc.magics import DataVCMagics

    line = " ".join(words)
    try:
        argv = shlex.split(line)
        DataVCMagics.parser.parse_args(argv)
    except ValueError:
        pass  # shlex: the magic turns this into a UsageError ("No closing quotation")
    except UsageError as err:
        assert str(err)


# -- disk full ------------------------------------------------------------------------------------
def fill_disk_after(monkeypatch: pytest.MonkeyPatch, where: str, allowed: int) -> None:
    """os.write fails with ENOSPC once ``allowed`` writes to files under ``where`` went through."""
    real = os.write
    count = [0]

    def write(fd: int, data: bytes) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if where in target:
            count[0] += 1
            if count[0] > allowed:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize(("where", "allowed"), [("/.datavc/objects/", 2), ("/.datavc/manifests/", 0)])
def test_disk_full_during_add_leaves_the_store_consistent(repo: Repo, project: Path, where: str, allowed: int) -> None:
    (project / "d").mkdir()
    for i in range(6):
        (project / "d" / f"f{i}.bin").write_bytes(os.urandom(30_000))
    repo.add("d", name="d")
    (project / "d" / "f0.bin").write_bytes(os.urandom(30_000))
    for i in range(6, 10):
        (project / "d" / f"f{i}.bin").write_bytes(os.urandom(30_000))
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StorageError, match="no space left on device"):
        fill_disk_after(patch, where, allowed)
        repo.add("d", name="d")
    assert [v.number for v in repo.log("d")] == [1]
    assert verify(repo, all=True).ok and verify_chain(repo.dir).ok
    assert not list((repo.dir / "objects").rglob(".tmp-*")) and not list((repo.dir / "manifests").rglob(".tmp-*"))
    assert repo.add("d", name="d").number == 2 and verify(repo, all=True).ok


def test_disk_full_during_checkout_leaves_workspace_and_store_unchanged(
    repo: Repo, project: Path, snapshot_tree
) -> None:
    (project / "d").mkdir()
    for i in range(6):
        (project / "d" / f"f{i}.bin").write_bytes(os.urandom(200_000))
    repo.add("d", name="d")
    for i in range(6):
        (project / "d" / f"f{i}.bin").write_bytes(os.urandom(1000))
    repo.add("d", name="d")
    before = snapshot_tree(project / "d")
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StorageError, match="no space left on device"):
        fill_disk_after(patch, "/d/.tmp-", 3)
        repo.checkout("d@v1")
    assert snapshot_tree(project / "d") == before and not list((project / "d").rglob(".tmp-*"))
    assert verify(repo, all=True).ok and verify_chain(repo.dir).ok
    assert repo.checkout("d@v1").written and verify(repo, "d@v1").ok
    assert hash_bytes((project / "d" / "f0.bin").read_bytes()) == repo.manifest(repo.resolve("d@v1")).files[0].hash
