"""A re-run's steps against the recorded ones: content hashes first, then logical table fingerprints.

Steps are matched in order by the hash of their code (then cell id, then output names); each
recorded output is compared with the re-run's version of the same dataset. Equal manifests, or
equal bytes file by file, are a ``match``; files whose bytes differ but whose tables have the same
fingerprint are ``same_data`` (another writer, compression or library version: not a failure);
anything else is a ``mismatch``, and a recorded output the re-run did not write is ``missing``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import tabular
from .errors import DataVCError
from .manifest import FileEntry, Manifest
from .reading import cached_file
from .refs import Version

if TYPE_CHECKING:
    from .repo import Repo

MATCH, SAME_DATA, MISMATCH, MISSING = "match", "same_data", "mismatch", "missing"
SEVERITY = {MATCH: 0, SAME_DATA: 1, MISMATCH: 2, MISSING: 3}
DIFF_ROWS = 5


def match_steps(steps: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """For each recorded step, the re-run's record of it (or None), each record used once, in order."""
    used: set[str] = set()
    out: list[dict[str, Any] | None] = []
    for s in steps:
        pool = [r for r in records if r["id"] not in used]
        names = sorted(e["dataset"] for e in s["outputs"])
        keys = (
            ("source_hash", s.get("source_sha256")),
            ("cell_id", s.get("cell_id")),
            ("outputs", names or None),
        )
        pick = next((r for key, want in keys if want for r in pool if _key(r, key) == want), None)
        if pick is not None:
            used.add(pick["id"])
        out.append(pick)
    return out


def _key(record: dict[str, Any], key: str) -> Any:
    if key == "outputs":
        return sorted(e["dataset"] for e in record.get("outputs", []))
    return record.get(key)


def _entries(repo: Repo, mid: str, where: str) -> dict[str, FileEntry] | None:
    try:
        return Manifest.from_bytes(repo.manifests.get(mid, where=where), where=where).by_path()
    except DataVCError:
        return None


def _fingerprint(repo: Repo, entry: FileEntry, where: str) -> str | None:
    fmt = tabular.format_of(entry.path)
    if fmt is None or (entry.table or {}).get("error"):
        return None
    try:
        from .fingerprint import file_fingerprint  # numpy: only when comparing tables

        return file_fingerprint(cached_file(repo, entry, where), fmt)
    except Exception:
        return None


def _ref(e: dict[str, Any] | None) -> str | None:
    return f"{e['dataset']}@v{e['version']}" if e is not None else None


def compare_output(rec_repo: Repo, rec: dict[str, Any], new_repo: Repo, new: dict[str, Any] | None) -> dict[str, Any]:
    """One recorded output against the re-run's version of that dataset."""
    out: dict[str, Any] = {
        "dataset": rec["dataset"],
        "recorded": _ref(rec),
        "recorded_manifest": rec["manifest"],
        "repro": _ref(new),
        "repro_manifest": new["manifest"] if new is not None else None,
        "status": MATCH,
        "detail": "same bytes",
        "files": [],
    }
    if new is None:
        return {**out, "status": MISSING, "detail": "the re-run did not write it"}
    if new["manifest"] == rec["manifest"]:
        return out
    new_files = _entries(new_repo, new["manifest"], f"re-run {_ref(new)}") or {}
    stored = _entries(rec_repo, rec["manifest"], f"recorded {_ref(rec)}")
    listed = {f["path"]: f for f in rec.get("files") or []}
    if stored is None and not listed:
        return {**out, "status": MISMATCH, "detail": "content differs (the recorded version is not in this store)"}
    paths = sorted(set(new_files) | set(stored or listed))
    for path in paths:
        n, r_entry, r_listed = new_files.get(path), (stored or {}).get(path), listed.get(path)
        r_hash = r_entry.hash if r_entry is not None else (r_listed or {}).get("hash")
        if n is None or r_hash is None:
            out["files"].append({"path": path, "status": "removed" if n is None else "added"})
            continue
        if n.hash == r_hash:
            continue
        fp_new = _fingerprint(new_repo, n, f"re-run {_ref(new)} ({path})")
        fp_rec = (r_listed or {}).get("fingerprint")
        if fp_rec is None and r_entry is not None:
            fp_rec = _fingerprint(rec_repo, r_entry, f"recorded {_ref(rec)} ({path})")
        same = fp_new is not None and fp_new == fp_rec
        out["files"].append({"path": path, "status": "same_data" if same else "modified", "fingerprint": fp_new})
    statuses = {f["status"] for f in out["files"]}
    if statuses - {"same_data"}:
        changed = ", ".join(f"{f['path']} ({f['status']})" for f in out["files"] if f["status"] != "same_data")
        return {**out, "status": MISMATCH, "detail": f"different data: {changed}"}
    if statuses:
        detail = "same data, different encoding (content hashes differ, logical table fingerprints are equal)"
        return {**out, "status": SAME_DATA, "detail": detail}
    return {**out, "detail": "same bytes (manifest metadata differs)"}


def _version(e: dict[str, Any], manifest: str) -> Version:
    return Version(e["dataset"], int(e["version"]), manifest, None, "", "", "", e.get("path"), "", 0, 0, None)


def diff_doc(rec_repo: Repo, rec: dict[str, Any], new_repo: Repo, new: dict[str, Any]) -> dict[str, Any]:
    """The semantic diff (core/diff.py) of the recorded output against the re-run's."""
    from .diff import build
    from .diff_sides import version_side
    from .diff_table import RowOptions

    try:
        side_a = version_side(rec_repo, _version(rec, rec["manifest"]))
        side_b = version_side(new_repo, _version(new, new["manifest"]))
        side_a = replace(side_a, label=f"recorded {_ref(rec)}")
        side_b = replace(side_b, label=f"re-run {_ref(new)}")
        doc: dict[str, Any] = build(side_a, side_b, RowOptions(True, None, 0.0, 0.0, DIFF_ROWS))
        return doc
    except Exception as err:
        return {"error": f"the outputs could not be diffed: {type(err).__name__}: {err}".splitlines()[0]}


def compare_step(rec_repo: Repo, step: dict[str, Any], new_repo: Repo, record: dict[str, Any] | None) -> dict[str, Any]:
    """A recorded step against its re-run: each output's status and whether the inputs were the same."""
    new_out = {e["dataset"]: e for e in (record or {}).get("outputs", [])}
    outputs = [compare_output(rec_repo, e, new_repo, new_out.get(e["dataset"])) for e in step["outputs"]]
    status = max((o["status"] for o in outputs), key=SEVERITY.__getitem__, default=MATCH)
    if record is None:
        status = MISSING
    changed_inputs = None
    if record is not None:
        new_in = {e["dataset"]: e["manifest"] for e in record.get("inputs", [])}
        changed_inputs = [_ref(e) for e in step["inputs"] if new_in.get(e["dataset"]) != e["manifest"]]
    first_line = next((ln.strip() for ln in step.get("source", "").splitlines() if ln.strip()), "")
    return {
        "index": step["index"],
        "label": step.get("message") or first_line[:60],
        "cell_index": step.get("cell_index"),
        "transform": step.get("transform"),
        "repro_transform": record["id"] if record is not None else None,
        "status": status,
        "changed_inputs": changed_inputs,
        "outputs": outputs,
        "nondeterministic": None,
    }


def nondeterministic(
    steps: list[dict[str, Any]], first: tuple[Repo, list[dict[str, Any]]], second: tuple[Repo, list[dict[str, Any]]]
) -> list[int]:
    """Indexes of the steps whose outputs differ between two re-runs from the same inputs."""
    out = []
    for step, r1, r2 in zip(steps, match_steps(steps, first[1]), match_steps(steps, second[1])):
        if r1 is None or r2 is None:
            continue
        other = {e["dataset"]: e for e in r2.get("outputs", [])}
        results = [compare_output(first[0], e, second[0], other.get(e["dataset"])) for e in r1.get("outputs", [])]
        if any(c["status"] in (MISMATCH, MISSING) for c in results):
            out.append(int(step["index"]))
    return out
