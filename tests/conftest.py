from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_datavc.core.repo import Repo


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--stress", action="store_true", help="run the long stress variants")


@pytest.fixture
def stress(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--stress"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder that is also the working directory."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("DATAVC_AUTHOR", "tester")
    return root


@pytest.fixture
def repo(project: Path) -> Repo:
    return Repo.init(project)


@pytest.fixture
def make_parquet(project: Path) -> Callable[..., Path]:
    def make(rel: str = "data/raw.parquet", rows: int = 1000, seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        df = pd.DataFrame({"id": np.arange(rows), "price": rng.random(rows), "city": rng.choice(["a", "b", "c"], rows)})
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(path)
        return path

    return make


@pytest.fixture
def make_tree(project: Path) -> Callable[..., Path]:
    def make(rel: str = "data/images", files: int = 10, size: int = 1000, seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        root = project / rel
        for i in range(files):
            p = root / f"sub{i % 3}" / f"f{i}.bin"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(rng.bytes(size))
        return root

    return make


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".datavc" not in p.parts
    }


@pytest.fixture
def snapshot_tree() -> Callable[[Path], dict[str, bytes]]:
    return tree_bytes


@pytest.fixture
def slow_chunker(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    return lambda delay, on_piece=None: _slow_chunker(monkeypatch, delay, on_piece)


def _slow_chunker(monkeypatch: pytest.MonkeyPatch, delay: float, on_piece: Callable[[], None] | None = None) -> None:
    """Make add jobs take long enough to observe: small pieces and a pause after each."""
    import jupyter_datavc.core.chunking as chunking
    import jupyter_datavc.core.ingest as ingest

    real = chunking.chunk_and_store
    monkeypatch.setattr(chunking, "PIECE_SIZE", 1 << 20)
    monkeypatch.setattr(chunking, "SMALL_FILE", 1 << 20)
    monkeypatch.setattr(ingest, "SMALL_FILE", 1 << 20)

    def slow(path: os.PathLike[str], store: object, *, on_bytes: Callable[[int], None] | None = None, **kw: object):
        def bytes_then_pause(n: int) -> None:
            if on_bytes is not None:
                on_bytes(n)
            if on_piece is not None:
                on_piece()
            import time

            time.sleep(delay)

        return real(path, store, on_bytes=bytes_then_pause, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "chunk_and_store", slow)
