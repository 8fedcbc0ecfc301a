"""REST handlers: each verb parses its arguments, calls one core function (in a thread), and finishes.

Errors are translated in one place, :meth:`DataVCHandler.write_error`: a ``DataVCError`` becomes
``{"message", "reason"}`` with its ``status`` (400 bad input, 404 unknown dataset, revision or job,
409 conflict, 501 not available yet); anything else is a 500 whose details stay in the server log.
The API is described in ``openapi.yaml`` next to this file.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .. import __version__
from ..core import browse
from ..core.diff import diff
from ..core.errors import DataVCError, UsageError
from ..core.jobs import read_job_files, request_cancel
from ..core.repo import Repo
from . import optional
from .locate import RepoLocator

NAMESPACE = "jupyter-datavc"
AUTH_RESOURCE = "datavc"
API_VERSION = 1

T = TypeVar("T")


class DataVCHandler(APIHandler):
    """Base of the API's handlers: the repository, typed query arguments, and JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def locator(self) -> RepoLocator:
        locator: RepoLocator = self.settings["datavc_locator"]
        return locator

    def repo(self) -> Repo:
        return self.locator.repo()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a core function in a worker thread: hashing and reading must not stall the server."""
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def int_arg(self, name: str, default: int) -> int:
        text = self.get_query_argument(name, None)
        if text is None or text == "":
            return default
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{name} must be a whole number, not {text!r}") from None

    def flag_arg(self, name: str) -> bool:
        return (self.get_query_argument(name, "") or "").lower() in ("1", "true", "yes", "on")

    def finish_json(self, doc: Any) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(doc, allow_nan=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        err = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(err, DataVCError):
            self.set_status(err.status)
            body = {"message": str(err) if err.status < 500 else f"server error: {err}", "reason": type(err).__name__}
        elif isinstance(err, web.HTTPError):
            body = {"message": err.log_message or responses.get(status_code, "error"), "reason": err.reason}
        else:
            body = {"message": "internal error in the jupyter_datavc server extension (see the server log)"}
            body["reason"] = "InternalError"
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, DataVCError) and value.status < 500:
            req = self.request
            self.log.info("jupyter_datavc: %s %s -> %s: %s", req.method, req.path, value.status, value)
        else:
            super().log_exception(typ, value, tb)


class VersionHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json({"version": __version__, "api": API_VERSION})


class DatasetsHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json(await self.call(browse.datasets, self.repo()))


class VersionsHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        offset, limit = self.int_arg("offset", 0), self.int_arg("limit", 100)
        self.finish_json(await self.call(browse.versions_page, self.repo(), name, offset, limit))


class VersionSummaryHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str, rev: str) -> None:
        files_limit = self.int_arg("files_limit", 1000)
        self.finish_json(await self.call(browse.version_summary, self.repo(), name, rev, files_limit))


class DiffHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        a, b = self.get_query_argument("a"), self.get_query_argument("b", None) or None
        key = [k.strip() for k in self.get_query_argument("key", "").split(",") if k.strip()] or None
        opts = {"rows": self.flag_arg("rows"), "key": key, "limit": self.int_arg("limit", 20)}
        result = await self.call(diff, self.repo(), a, b, **opts)
        self.finish_json(result.to_json())


class LineageHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        rev, direction = self.get_query_argument("rev"), self.get_query_argument("direction", "up")
        depth = self.int_arg("depth", 3)
        self.finish_json(await self.call(optional.lineage, self.repo(), rev, direction, depth))


class RunsHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json(await self.call(optional.runs, self.repo()))


class JobsHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json({"jobs": await self.call(read_job_files, self.repo().dir / "jobs")})


class CancelJobHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        self.finish_json({"job": await self.call(request_cancel, self.repo().dir / "jobs", job_id)})


class ChangesHandler(DataVCHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish_json(browse.change_token(self.locator.root()))


ROUTES: list[tuple[str, type[DataVCHandler]]] = [
    ("version", VersionHandler),
    ("datasets", DatasetsHandler),
    ("datasets/([^/]+)/versions", VersionsHandler),
    ("datasets/([^/]+)/versions/([^/]+)", VersionSummaryHandler),
    ("diff", DiffHandler),
    ("lineage", LineageHandler),
    ("runs", RunsHandler),
    ("jobs", JobsHandler),
    ("jobs/([^/]+)/cancel", CancelJobHandler),
    ("changes", ChangesHandler),
]


def setup_handlers(web_app: Any, locator: RepoLocator) -> None:
    web_app.settings["datavc_locator"] = locator
    base = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [(url_path_join(base, NAMESPACE, path) + "/?$", h) for path, h in ROUTES])
