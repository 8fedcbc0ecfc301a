"""What ``pip install`` puts in place: both extensions enabled and OK, lazy imports, one version,
an OpenAPI file that names every route, and a lint-clean TypeScript sidebar."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

import jupyter_datavc
from jupyter_datavc.server.handlers import ROUTES

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(*cmd: str, cwd: Path = ROOT, timeout: int = 120) -> str:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return ANSI.sub("", out.stdout + out.stderr)


def test_server_extension_is_enabled_and_ok() -> None:
    text = _run(str(BIN / "jupyter"), "server", "extension", "list")
    assert re.search(r"jupyter_datavc\s+enabled", text), text
    assert re.search(rf"jupyter_datavc {re.escape(jupyter_datavc.__version__)}\s+OK", text), text


def test_labextension_is_enabled_and_ok() -> None:
    text = _run(str(BIN / "jupyter"), "labextension", "list")
    assert re.search(rf"jupyter-datavc v{re.escape(jupyter_datavc.__version__)}\s+enabled\s+OK", text), text


def test_importing_the_package_does_not_import_the_server_stack() -> None:
    code = (
        "import sys, jupyter_datavc;"
        "print([m for m in ('tornado', 'jupyter_server', 'ipywidgets', 'IPython') if m in sys.modules])"
    )
    assert _run(sys.executable, "-c", code).strip() == "[]"


def test_extension_entry_points() -> None:
    assert jupyter_datavc._jupyter_server_extension_points() == [{"module": "jupyter_datavc.server"}]
    assert jupyter_datavc._jupyter_labextension_paths() == [{"src": "labextension", "dest": "jupyter-datavc"}]
    config = json.loads((ROOT / "jupyter-config" / "jupyter_server_config.d" / "jupyter_datavc.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"jupyter_datavc": True}}}


def test_frontend_and_server_versions_agree() -> None:
    package = json.loads((ROOT / "labextension" / "package.json").read_text())
    version_ts = (ROOT / "labextension" / "src" / "version.ts").read_text()
    assert package["version"] == jupyter_datavc.__version__
    assert f"FRONTEND_VERSION = '{jupyter_datavc.__version__}'" in version_ts


def test_openapi_describes_every_route() -> None:
    spec = yaml.safe_load((ROOT / "jupyter_datavc" / "server" / "openapi.yaml").read_text())
    described = {re.sub(r"\{[^}]+\}", "*", p) for p in spec["paths"]}
    routed = {"/" + p.replace("([^/]+)", "*") for p, _ in ROUTES}
    assert described == routed
    for path, handler in ROUTES:
        methods = {m for m in ("get", "post") if m in vars(handler)}
        assert set(spec["paths"][_spec_path(spec, path)]) == methods


def _spec_path(spec: dict[str, object], route: str) -> str:
    pattern = "/" + route.replace("([^/]+)", "*")
    return next(p for p in spec["paths"] if re.sub(r"\{[^}]+\}", "*", p) == pattern)  # type: ignore[union-attr]


def test_typescript_is_strict_and_lint_clean() -> None:
    ext = ROOT / "labextension"
    node_bin = ext / "node_modules" / ".bin"
    assert json.loads((ext / "tsconfig.json").read_text())["compilerOptions"]["strict"] is True
    _run(str(node_bin / "tsc"), "--noEmit", "-p", ".", cwd=ext)
    _run(str(node_bin / "eslint"), "src", cwd=ext)  # no console, no innerHTML (eslint.config.mjs)
    _run(str(node_bin / "prettier"), "--check", "src/**/*.ts", "style/**/*.css", cwd=ext)
    widgets = [p for p in (ext / "src").glob("*.ts") if p.name not in ("api.ts", "index.ts")]
    for p in widgets:
        assert "requestAPI" not in p.read_text(), f"{p.name} calls requestAPI directly; use the wrappers in api.ts"
