"""pytest-jupyter's server fixtures, for the tests in this folder only, and a sample repository."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from datavc_sample import make_sample_repo
from pytest_jupyter.jupyter_server import *  # noqa: F403
from traitlets.config import Config

from jupyter_datavc.core.repo import Repo


@pytest.fixture
def jp_server_config() -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"jupyter_datavc": True},
                "allow_unauthenticated_access": False,
            }
        }
    )


@pytest.fixture
def sample_repo(jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("DATAVC_AUTHOR", "tester")
    return make_sample_repo(jp_root_dir)


Fetch = Callable[..., Awaitable[Any]]


@pytest.fixture
def api(jp_fetch: Fetch) -> Callable[..., Awaitable[tuple[int, Any]]]:
    """``await api("datasets", params={...})`` -> (status, decoded JSON), errors included."""

    async def call(*path: str, method: str = "GET", params: dict[str, Any] | None = None) -> tuple[int, Any]:
        from tornado.httpclient import HTTPClientError

        kw: dict[str, Any] = {"method": method, "params": params or {}}
        if method == "POST":
            kw["body"] = b""
        try:
            resp = await jp_fetch("jupyter-datavc", *path, **kw)
        except HTTPClientError as err:
            assert err.response is not None
            return err.code, json.loads(err.response.body)
        return resp.code, json.loads(resp.body)

    return call
