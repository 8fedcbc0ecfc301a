"""A real ``jupyter lab`` on 127.0.0.1 over a sample repository, driven by Debian's Chromium.

The server runs with token authentication in temp settings/workspaces/runtime folders (the
"Jupyter news?" pop-up silenced) and is terminated by the fixture. Chromium runs headless with
the background-networking flags this machine needs. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from datavc_sample import add_transform, make_sample_repo
from playwright.sync_api import Browser, Dialog, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from jupyter_datavc.core.repo import Repo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MANY_VERSIONS = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LabServer:
    root: Path
    url: str
    token: str
    proc: subprocess.Popen[bytes]
    log: Path
    dialogs: list[str] = field(default_factory=list)

    def api(self, path: str) -> tuple[int, Any]:
        """GET ``/jupyter-datavc/<path>`` with the token, as the sidebar would."""
        req = urllib.request.Request(
            f"{self.url}/jupyter-datavc/{path}", headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    @property
    def repo(self) -> Repo:
        return Repo(self.root)


def start_lab(root: Path, work: Path, extra_config: dict[str, Any] | None = None) -> LabServer:
    settings, workspaces, runtime, config = (work / n for n in ("settings", "workspaces", "runtime", "config"))
    for d in (settings, workspaces, runtime, config):
        d.mkdir(parents=True, exist_ok=True)
    notify = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notify.parent.mkdir(parents=True, exist_ok=True)
    notify.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    if extra_config:
        (config / "jupyter_server_config.json").write_text(json.dumps(extra_config))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(config),
        "DATAVC_AUTHOR": "browser-test",
        "PYTHONUNBUFFERED": "1",
    }
    log = work / "lab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_unauthenticated_access=False",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(root, f"http://127.0.0.1:{port}", token, proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            req = urllib.request.Request(f"{server.url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_lab(server)
            raise RuntimeError(f"jupyter lab did not answer within 90 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def stop_lab(server: LabServer) -> None:
    """Stop the server (and the kernels it started): SIGTERM to its process group, then SIGKILL."""
    if server.proc.poll() is None:
        try:
            os.killpg(server.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)


def lineage_available() -> bool:
    """Whether this installation (the one the server runs) has the lineage core module."""
    return importlib.util.find_spec("jupyter_datavc.core.lineage") is not None


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-project")
    os.environ.setdefault("DATAVC_AUTHOR", "browser-test")
    repo = make_sample_repo(root, many=MANY_VERSIONS)
    if lineage_available():
        add_transform(repo)  # a real edge for the lineage view to follow
    server = start_lab(root, tmp_path_factory.mktemp("lab-state"))
    yield server
    stop_lab(server)


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while it is
# open, which would break later tests that run their own loop (pytest-jupyter's server tests).
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def on_dialog(server: LabServer, dialog: Dialog) -> None:
    """Leave pages freely ("unsaved changes"); record any other dialog (an alert would be injected script)."""
    if dialog.type == "beforeunload":
        dialog.accept()
    else:
        server.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def open_lab(browser: Browser, server: LabServer, path: str = "lab") -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda d: on_dialog(server, d))
    page.goto(f"{server.url}/{path}?token={server.token}")
    page.wait_for_selector("#jp-main-dock-panel", state="attached", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp !== undefined && window.jupyterapp.started !== undefined")
    return page


@pytest.fixture
def page(browser: Browser, lab: LabServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    p = open_lab(browser, lab)
    yield p
    ARTIFACTS.mkdir(exist_ok=True)
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        p.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
    p.context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_sidebar(page: Page, wait_for_datasets: bool = True) -> None:
    """Show the datavc panel of the left sidebar (as clicking its tab does) and wait for the datasets."""
    tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jupyter-datavc-sidebar"]')
    tab.wait_for()
    first = page.locator("#jupyter-datavc-sidebar .jp-DataVC-dataset").first
    for attempt in range(3):  # a just-started lab may still be laying out the shell: activate again
        page.evaluate("() => window.jupyterapp.shell.activateById('jupyter-datavc-sidebar')")
        page.locator("#jupyter-datavc-sidebar").wait_for(state="visible")
        if not wait_for_datasets:
            return
        try:
            first.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.evaluate("() => window.dispatchEvent(new Event('resize'))")


def open_dataset(page: Page, name: str) -> None:
    page.locator(f'#jupyter-datavc-sidebar .jp-DataVC-dataset[data-name="{name}"]').click()
    page.locator("#jupyter-datavc-sidebar .jp-DataVC-version[data-ref]").first.wait_for()
