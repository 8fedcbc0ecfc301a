"""The jupyter_server extension: a JSON REST API over the store under ``<base_url>/jupyter-datavc/``.

Enabled by ``pip install`` (``jupyter-config/jupyter_server_config.d/jupyter_datavc.json``). The
repository is the ``.datavc/`` found at or above the server's ``root_dir`` (or
``DataVCServer.repo_root``). ``import jupyter_datavc`` never imports this package.
"""

from __future__ import annotations

from typing import Any

from .handlers import setup_handlers
from .locate import DataVCServer, RepoLocator


def _load_jupyter_server_extension(serverapp: Any) -> None:
    config = DataVCServer(parent=serverapp)
    locator = RepoLocator(config.repo_root or serverapp.root_dir)
    setup_handlers(serverapp.web_app, locator)
    serverapp.log.info("jupyter_datavc: REST API at /jupyter-datavc/ over the repository at or above %s", locator.start)


# The older name some jupyter_server versions still look for.
load_jupyter_server_extension = _load_jupyter_server_extension
