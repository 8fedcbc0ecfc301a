"""What run manifests need from a saved ``.ipynb``: code cells, their hashes, transform ids, parameters.

Read as plain JSON (nbformat 4): the core does not depend on Jupyter packages. A cell tagged
``injected-parameters`` (written by ``datavc repro`` or papermill) is not part of the notebook's
code; its assignments are parameters.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .errors import UsageError

INJECTED = "injected-parameters"
PARAMETERS = "parameters"
TRANSFORM_OUTPUT = re.compile(r"^transform ([0-9a-f]{12}):", re.MULTILINE)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"notebook {path} does not exist") from None
    except (OSError, ValueError) as err:
        raise UsageError(f"{path} is not a readable notebook: {str(err).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list) or doc.get("nbformat") != 4:
        raise UsageError(f"{path} is not an nbformat 4 notebook")
    return doc


def source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def tags(cell: dict[str, Any]) -> list[str]:
    found = (cell.get("metadata") or {}).get("tags") or []
    return [str(t) for t in found] if isinstance(found, list) else []


def code_cells(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The notebook's own code cells: position among all cells, id, source and its hash."""
    out = []
    for i, cell in enumerate(doc["cells"]):
        if cell.get("cell_type") != "code" or INJECTED in tags(cell):
            continue
        src = source(cell)
        out.append({"index": i, "id": cell.get("id"), "sha256": sha256(src), "source": src})
    return out


def transform_body(src: str) -> str | None:
    """The code of a ``%%dv transform`` cell (what its record holds), or None for other cells."""
    first, _, rest = src.lstrip("\n").partition("\n")
    if not re.match(r"%%dv\s+transform(\s|$)", first.strip()):
        return None
    return rest


def same_code(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def transform_ids(cell: dict[str, Any]) -> list[str]:
    """Transform ids printed in the cell's outputs (``transform <id>: ...``), in order."""
    ids: list[str] = []
    for out in cell.get("outputs") or []:
        texts = [out.get("text", "")]
        data = out.get("data") or {}
        texts.append(data.get("text/plain", ""))
        for text in texts:
            text = "".join(text) if isinstance(text, list) else str(text)
            ids.extend(m for m in TRANSFORM_OUTPUT.findall(text) if m not in ids)
    return ids


def literal_assignments(src: str) -> dict[str, Any]:
    """``name = <literal>`` statements of a parameters cell, as values."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return {}
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
                out[node.targets[0].id] = json.loads(json.dumps(value))
            except (ValueError, TypeError, SyntaxError):
                continue
    return out


def parameters(doc: dict[str, Any]) -> dict[str, Any]:
    """The literal values of the ``parameters`` cell, overridden by an ``injected-parameters`` cell."""
    out: dict[str, Any] = {}
    for tag in (PARAMETERS, INJECTED):
        for cell in doc["cells"]:
            if cell.get("cell_type") == "code" and tag in tags(cell):
                out.update(literal_assignments(source(cell)))
    return out


def _label(cell: dict[str, Any]) -> str:
    first = next((ln.strip() for ln in cell["source"].splitlines() if ln.strip()), "(empty)")
    ident = f" [id {cell['id']}]" if cell.get("id") else ""
    return f"cell {cell['index']}{ident} {first[:50]!r}"


def changed_cells(recorded: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[str]:
    """How the code cells differ from the recorded ones, one line per changed, added or removed cell."""
    a = [c["sha256"] for c in recorded]
    b = [c["sha256"] for c in current]
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            out += [f"{_label(c)} changed" for c in current[j1:j2]]
            continue
        out += [f"{_label(c)} removed" for c in recorded[i1:i2]]
        out += [f"{_label(c)} added" for c in current[j1:j2]]
    return out
