"""The clean work directory of a re-run: a copy of the notebook and the pinned inputs, in their own store.

The work directory mirrors the project (the notebook at its project-relative path, each input's
files at their workspace path) and holds its own ``.datavc/``. That store gets exactly what the
inputs need: the manifests and chunks are *hard links* of the source store's read-only objects
(a copy, verified, when the work directory is on another file system), and each pinned version
gets a ref file with its original number, so ``--in raw@v3`` in the notebook still resolves.
Nothing the re-run writes reaches the source store: a failed or nondeterministic re-run leaves
no garbage there, concurrent re-runs cannot interfere, and removing the work directory frees
only what it wrote. By default it lives in ``.datavc/repro/``: the same file system as the
objects (so the links always work), ignored by Git (its own ``.gitignore``), and outside
``tmp/``, which gc empties of anything an hour old, so a long re-run or a kept work directory
is never collected under it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataVCError, MissingObject, UsageError
from .manifest import Manifest
from .objects import ObjectStore, write_atomic
from .paths import join_inside
from .refs import Version
from .revision import check_name

if TYPE_CHECKING:
    from .repo import Repo


REPRO_DIR = "repro"  # .datavc/repro/: same file system as the objects, git-ignored, not gc's tmp/


class MissingInput(UsageError):
    """A pinned input whose manifest or chunks are neither in the store nor fetchable."""


def make_workdir(src: Repo, workdir: Path | None) -> Path:
    if workdir is None:
        base = src.dir / REPRO_DIR
        base.mkdir(parents=True, exist_ok=True)
        if not (base / ".gitignore").exists():
            write_atomic(base / ".gitignore", b"# datavc repro work directories: never for Git\n*\n")
        return Path(tempfile.mkdtemp(prefix="repro-", dir=base))
    if workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
        raise UsageError(f"--workdir {workdir} exists and is not empty; give a new or empty folder")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir.resolve()


def _remote_hint(src: Repo) -> str:
    names = sorted((src.config.get("remotes") or {}).keys()) if isinstance(src.config.get("remotes"), dict) else []
    if names:
        return f" nor on the remote{'s' if len(names) > 1 else ''} {', '.join(names)} (was it pushed?)"
    return "; no remote is configured to fetch it from (datavc remote add, then datavc pull)"


def _link(src: ObjectStore, dst: ObjectStore, oid: str, where: str) -> None:
    """Make ``dst`` hold object ``oid`` of ``src``: a hard link, else a verified copy."""
    target = dst.path(oid)
    if target.exists():
        return
    source = src.path(oid)
    if not source.exists():
        src.get(oid, where=where)  # fetches it from a remote when one is attached; else MissingObject
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        pass
    except OSError:
        dst.put(oid, src.get(oid, where=where))


def check_inputs(src: Repo, inputs: list[dict[str, Any]]) -> None:
    """Fail before any work when a pinned input is not available (locally or from a remote)."""
    for e in inputs:
        ref = f"{e['dataset']}@v{e['version']}"
        try:
            data = src.manifests.get(e["manifest"], where=f"pinned input {ref}")
            manifest = Manifest.from_bytes(data, where=f"manifest of {ref}")
            for oid in sorted(manifest.chunk_ids):
                if not src.objects.has(oid):
                    src.objects.get(oid, where=f"pinned input {ref}")
        except MissingObject:
            where = f"pinned input {ref} (manifest {e['manifest'][:10]})"
            raise MissingInput(f"{where} is not in the store at {src.dir}{_remote_hint(src)}") from None


def _write_ref(dst: Repo, e: dict[str, Any], manifest: Manifest) -> None:
    source = "dataframe" if e.get("path") is None else manifest.kind
    version = Version(
        dataset=check_name(e["dataset"]),
        number=int(e["version"]),
        manifest=e["manifest"],
        parent=None,
        message="pinned input restored by datavc repro",
        author="datavc repro",
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        path=e.get("path"),
        source=source,
        size=manifest.size,
        files=len(manifest.files),
        rows=manifest.rows,
    )
    folder = dst.refs.root / version.dataset
    folder.mkdir(parents=True, exist_ok=True)
    doc = version.to_json()
    doc.pop("tags")
    target = folder / f"v{version.number}.json"
    if not target.exists():
        write_atomic(target, json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")


def prepare(src: Repo, workdir: Path, notebook_rel: str, inputs: list[dict[str, Any]]) -> Repo:
    """Fill ``workdir``: its store, the pinned inputs (refs, objects, files) and the notebook."""
    from .repo import Repo

    dst = Repo.init(workdir)
    first_use: dict[str, str] = {}
    for e in inputs:
        ref = f"{e['dataset']}@v{e['version']}"
        where = f"pinned input {ref}"
        _link(src.manifests, dst.manifests, e["manifest"], where)
        manifest = Manifest.from_bytes(dst.manifests.get(e["manifest"], where=where), where=where)
        for oid in sorted(manifest.chunk_ids):
            _link(src.objects, dst.objects, oid, where)
        _write_ref(dst, e, manifest)
        if e.get("path") is not None:
            first_use.setdefault(e["dataset"], ref)
    for ref in first_use.values():
        try:
            dst.checkout(ref)
        except DataVCError as err:
            raise UsageError(f"could not restore pinned input {ref} in the work directory: {err}") from None
    nb_target = join_inside(workdir, notebook_rel)
    nb_target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src.root / notebook_rel, nb_target)
    return dst


def remove(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)  # read-only objects go too: unlinking needs a writable folder
