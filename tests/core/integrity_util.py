"""Helpers for the integrity tests: build a store, damage it, craft hostile metadata, run writers."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_datavc.core.objects import hash_bytes
from jupyter_datavc.core.repo import Repo


def build_store(repo: Repo, seed: int = 0) -> None:
    """Two datasets, two versions each: a folder (small and multi-chunk files) and a single file."""
    rng = random.Random(seed)
    imgs = repo.root / "imgs"
    for i in range(6):
        (imgs / f"s{i % 2}").mkdir(parents=True, exist_ok=True)
        (imgs / f"s{i % 2}" / f"f{i}.bin").write_bytes(rng.randbytes(50_000))
    (imgs / "big.bin").write_bytes(rng.randbytes(3 << 20))
    repo.add(str(imgs), name="imgs", message="first")
    (imgs / "s0" / "f0.bin").write_bytes(rng.randbytes(60_000))
    with open(imgs / "big.bin", "r+b") as f:
        f.seek(1 << 20)
        f.write(rng.randbytes(1000))
    repo.add(str(imgs), name="imgs", message="second")
    blob = repo.root / "blob.bin"
    blob.write_bytes(rng.randbytes(2 << 20))
    repo.add(str(blob), name="blob")
    with open(blob, "ab") as f:
        f.write(rng.randbytes(300_000))
    repo.add(str(blob), name="blob")


def referenced(repo: Repo) -> tuple[list[str], list[str]]:
    """(chunks, manifests) referenced by the store's versions, sorted."""
    chunks: set[str] = set()
    manifests: set[str] = set()
    for name in repo.refs.datasets():
        for v in repo.refs.versions(name):
            manifests.add(v.manifest)
            chunks |= repo.manifest(v).chunk_ids
    return sorted(chunks), sorted(manifests)


def rewrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def flip_bit(path: Path, bit: int) -> bytes:
    """Flip one bit of a (read-only) object; return the original bytes."""
    original = path.read_bytes()
    data = bytearray(original)
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    rewrite(path, bytes(data))
    return original


def craft_version(repo: Repo, name: str, manifest_doc: dict[str, Any], **ref: Any) -> str:
    """Store a manifest as given (correctly named) and a ref to it as the next version of ``name``."""
    data = json.dumps(manifest_doc, sort_keys=True, separators=(",", ":")).encode()
    mid = hash_bytes(data)
    repo.manifests.put(mid, data)
    folder = repo.dir / "refs" / name
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.stem[1:]) for p in folder.glob("v*.json") if p.stem[1:].isdigit()]
    number = max(numbers, default=0) + 1
    doc = {
        "dataset": name,
        "number": number,
        "manifest": mid,
        "parent": number - 1 or None,
        "message": "crafted",
        "author": "mallory",
        "time": "2024-01-01T00:00:00Z",
        "path": name,
        "source": "dir",
        "size": 0,
        "files": 1,
        "rows": None,
        "meta": {},
    }
    doc.update(ref)
    (folder / f"v{number}.json").write_text(json.dumps(doc))
    return f"{name}@v{number}"


def manifest_doc(files: list[dict[str, Any]], kind: str = "dir") -> dict[str, Any]:
    return {"format": "datavc.manifest", "version": 1, "kind": kind, "meta": {}, "files": files}


def python(code: str, *args: str, **kw: Any) -> subprocess.Popen[str]:
    """Start ``python -c code args`` with stdout piped (text)."""
    env = {**os.environ, "DATAVC_AUTHOR": os.environ.get("DATAVC_AUTHOR", "tester")}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kw
    )
