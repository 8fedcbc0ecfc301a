"""Fixtures of the remote tests: a real S3 endpoint (moto in server mode, spoken to through s3fs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from remote_util import S3_ENV, S3Server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy credentials in the environment, the way a user's shell would hold real ones."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    return dict(S3_ENV)


@pytest.fixture
def s3_remote(s3_server: S3Server, s3_env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A fresh bucket: (URL, storage_options) for ``remote add``."""
    return f"s3://{s3_server.new_bucket()}/datavc", {"endpoint_url": s3_server.endpoint}
