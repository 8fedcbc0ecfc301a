"""The versioning tools ``bench_core.py`` times: ``datavc`` and DVC, each driven through its CLI."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchlib import HERE, PROJECT, BenchError, Step, fresh_dir, log, run_cmd

DVC_VENV = HERE / ".venv-dvc"
DATAVC = PROJECT / ".venv" / "bin" / "datavc"
PYTHON = PROJECT / ".venv" / "bin" / "python"
# DATAVC_BENCH_DVC: a dvc executable to use instead of installing one into .venv-dvc (the tests'
# short run uses the one the test extras install)
DVC = Path(os.environ.get("DATAVC_BENCH_DVC") or DVC_VENV / "bin" / "dvc")


def dataset_name(rel: str) -> str:
    return rel.split(".")[0]


class Tool:
    """A versioning tool as the cases use it; ``template`` is a freshly initialised empty repo."""

    name = ""
    store_dir = ""
    noop_text = ""

    def __init__(self, template: Path) -> None:
        self.template = template

    def init(self, folder: Path) -> None:
        shutil.copytree(self.template, folder, dirs_exist_ok=True)

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        raise NotImplementedError

    def status(self, repo: Path) -> Step:
        raise NotImplementedError

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        raise NotImplementedError


class DataVC(Tool):
    name = "datavc"
    store_dir = ".datavc/objects"
    noop_text = "no changes"

    @staticmethod
    def make_template(folder: Path, *, fsync: bool = True) -> DataVC:
        """``fsync=False``: the repository skips the flush before each commit (``"fsync": false``)."""
        run_cmd([DATAVC, "init", fresh_dir(folder)])
        tool = DataVC(folder)
        if not fsync:
            config = folder / ".datavc" / "config.json"
            config.write_text(json.dumps({**json.loads(config.read_text()), "fsync": False}))
            tool.name = "datavc no fsync"
        return tool

    def _cli(self, repo: Path, *args: str) -> list[str]:
        return [str(DATAVC), "-C", str(repo), *args]

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        return Step(self._cli(repo, "add", rel, "--name", dataset_name(rel)), repo, expect, (repo,))

    def status(self, repo: Path) -> Step:
        return Step(self._cli(repo, "status"), repo, "clean", (repo,))

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        extra = ["--to", str(to)] if to is not None else []
        return Step(self._cli(repo, "checkout", f"{dataset_name(rel)}@v1", *extra), repo, "checked out", (repo,))


class Dvc(Tool):
    name = "dvc"
    store_dir = ".dvc/cache"
    noop_text = ""  # dvc add prints nothing when its output is not a terminal
    # copy: what the default "reflink,copy" does on ext4, and the same work as cp and datavc
    CONFIG = "[core]\n    no_scm = True\n    analytics = false\n    check_update = false\n[cache]\n    type = copy\n"

    @staticmethod
    def make_template(folder: Path) -> Dvc:
        run_cmd([DVC, "init", "--no-scm", "-q"], fresh_dir(folder))
        (folder / ".dvc" / "config").write_text(Dvc.CONFIG)
        shutil.rmtree(folder / ".dvc" / "tmp", ignore_errors=True)  # per-repo state, not part of a template
        return Dvc(folder)

    def add(self, repo: Path, rel: str, expect: str = "") -> Step:
        return Step([str(DVC), "add", rel], repo, expect, (repo,))

    def status(self, repo: Path) -> Step:
        return Step([str(DVC), "status"], repo, "up to date", (repo,))

    def checkout(self, repo: Path, rel: str, to: Path | None = None) -> Step:
        if to is not None:
            raise BenchError("dvc checks out into its workspace only")
        return Step([str(DVC), "checkout", f"{rel}.dvc"], repo, "", (repo,))


def ensure_dvc() -> str:
    if not DVC.exists():
        log("installing dvc into benchmarks/.venv-dvc (first run only)")
        run_cmd([shutil.which("python3") or sys.executable, "-m", "venv", DVC_VENV])
        run_cmd([DVC_VENV / "bin" / "pip", "install", "-q", "dvc"])
    return run_cmd([DVC, "--version"]).strip()


# -- contestants: a tool's timed step, made in a fresh folder -------------------------------------
def copy_data(src: Path, dst: Path) -> None:
    run_cmd(["cp", "-r", src, dst])


@dataclass(frozen=True)
class Contestant:
    tool: str
    prepare: Callable[[Path], Step]  # untimed set-up in a fresh empty folder; returns the timed step


def cp_contestant(src: Path, sync: bool = False) -> Contestant:
    def prepare(folder: Path) -> Step:
        dst = str(folder / src.name)
        if sync:
            return Step(["sh", "-c", 'cp -r "$1" "$2" && sync', "sh", str(src), dst], folder, warm=(src,))
        return Step(["cp", "-r", str(src), dst], folder, warm=(src,))

    return Contestant("cp+sync" if sync else "cp", prepare)


def add_contestant(tool: Tool, src: Path) -> Contestant:
    def prepare(folder: Path) -> Step:
        tool.init(folder)
        copy_data(src, folder / src.name)
        return tool.add(folder, src.name)

    return Contestant(tool.name, prepare)


def floor_contestant(mode: str, src: Path) -> Contestant:
    """A floor under the add (``core_floor.py``): a durable copy of the bytes, or datavc's chunking alone."""

    def prepare(folder: Path) -> Step:
        argv = [str(PYTHON), str(HERE / "core_floor.py"), mode.split()[0], str(src)]
        if mode.startswith("disk"):
            return Step(
                [*argv, str(folder / src.name), *(["--direct"] if "direct" in mode else [])], folder, warm=(src,)
            )
        return Step(argv, folder, "chunks, file hash", warm=(src,))

    return Contestant(f"floor: {mode}", prepare)
