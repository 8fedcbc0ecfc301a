"""What a record says about where it ran: Python, imported packages, platform, Git state."""

from __future__ import annotations

import getpass
import importlib.metadata
import platform
import socket
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def imported_packages() -> dict[str, str]:
    """Versions of the distributions behind every top-level module imported in this process."""
    out: dict[str, str] = {}
    dists = _distributions()
    for mod in list(sys.modules):
        if "." in mod or mod.startswith("_"):
            continue
        for dist in dists.get(mod, ()):
            if dist in out:
                continue
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
    return dict(sorted(out.items()))


def git_state(root: Path) -> dict[str, Any] | None:
    """The project's Git commit and whether the work tree had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def describe(root: Path) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "host": socket.gethostname(),
        "user": getpass.getuser(),
        "packages": imported_packages(),
        "git": git_state(root),
    }
