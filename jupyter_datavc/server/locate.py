"""Where the server finds the repository, and the extension's configuration."""

from __future__ import annotations

import threading
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from ..core.errors import RepoNotFound
from ..core.repo import Repo


class DataVCServer(Configurable):
    """Configuration of the jupyter_datavc server extension (``c.DataVCServer.repo_root = ...``)."""

    repo_root = Unicode(
        "",
        config=True,
        help="Folder to look for the .datavc repository in (and in the folders above it). "
        "Default: the server's root_dir.",
    )


class RepoLocator:
    """The repository at or above ``start``, found again when it appears or disappears."""

    def __init__(self, start: str | Path) -> None:
        self.start = Path(start).expanduser().resolve()
        self._repo: Repo | None = None
        self._lock = threading.Lock()

    def root(self) -> Path | None:
        """The folder holding ``.datavc/``, or None; cheap enough to call on every poll."""
        repo = self._repo
        if repo is not None and repo.dir.is_dir():
            return repo.root
        return Repo.find_root(self.start)

    def repo(self) -> Repo:
        with self._lock:
            if self._repo is None or not self._repo.dir.is_dir():
                root = Repo.find_root(self.start)
                if root is None:
                    raise RepoNotFound(
                        f"no .datavc/ in {self.start} or any folder above it "
                        "(run '%dv add' in a notebook or 'datavc init' in a terminal)"
                    )
                self._repo = Repo(root)
            return self._repo
