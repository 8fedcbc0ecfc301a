"""Transform records as OpenLineage RunEvents (START and COMPLETE per transform).

Names are stable across runs: the job is the notebook and cell (or the code's hash when neither
is known), datasets are named by dataset name in the repository's namespace, and the run id is
derived from the transform id.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import DataVCError

if TYPE_CHECKING:
    from .repo import Repo

PRODUCER = "https://pypi.org/project/jupyter-datavc/"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SOURCE_FACET = "https://openlineage.io/spec/facets/1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet"
SCHEMA_FACET = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
VERSION_FACET = (
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
)
_RUN_NS = uuid.UUID("6f1c1a7e-55a2-4d0b-9a43-6c3f3f0d7a10")


def namespace(repo: Repo) -> str:
    return str(repo.config.get("openlineage", {}).get("namespace") or f"datavc://{repo.root.name}")


def _job_name(record: dict[str, Any]) -> str:
    notebook = record.get("notebook")
    if notebook and record.get("cell_id"):
        return f"{notebook}#{record['cell_id']}"
    return f"{notebook or 'transform'}#{record['source_hash'][:12]}"


def _dataset(repo: Repo, edge: dict[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "version": {"_producer": PRODUCER, "_schemaURL": VERSION_FACET, "datasetVersion": f"v{edge['version']}"}
    }
    try:
        manifest = repo.manifest(repo.resolve(f"{edge['dataset']}@v{edge['version']}"))
        tables = [f.table for f in manifest.files if f.table and "schema" in f.table]
    except DataVCError:
        tables = []
    if tables:
        fields = [{"name": c["name"], "type": c["type"]} for c in tables[0]["schema"]]
        facets["schema"] = {"_producer": PRODUCER, "_schemaURL": SCHEMA_FACET, "fields": fields}
    return {"namespace": namespace(repo), "name": edge["dataset"], "facets": facets}


def events(repo: Repo, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The START and COMPLETE events of one transform record."""
    start = datetime.fromisoformat(record["started"])
    end = start + timedelta(seconds=float(record.get("duration") or 0))
    run = {"runId": str(uuid.uuid5(_RUN_NS, record["id"])), "facets": {}}
    job = {
        "namespace": namespace(repo),
        "name": _job_name(record),
        "facets": {
            "sourceCode": {
                "_producer": PRODUCER,
                "_schemaURL": SOURCE_FACET,
                "language": "python",
                "sourceCode": record.get("source", ""),
            }
        },
    }
    inputs = [_dataset(repo, e) for e in record.get("inputs", [])]
    outputs = [_dataset(repo, e) for e in record.get("outputs", [])]
    base = {"run": run, "job": job, "producer": PRODUCER, "schemaURL": SCHEMA_URL}
    return [
        {**base, "eventType": "START", "eventTime": start.isoformat(), "inputs": inputs, "outputs": []},
        {**base, "eventType": "COMPLETE", "eventTime": end.isoformat(), "inputs": inputs, "outputs": outputs},
    ]


def post(url: str, payloads: list[dict[str, Any]], timeout: float = 10.0) -> None:
    """POST each event to an OpenLineage HTTP endpoint (``{url}/api/v1/lineage``)."""
    import urllib.error  # only when posting: keeps http.client out of every CLI start
    import urllib.request

    endpoint = url.rstrip("/") + "/api/v1/lineage"
    for event in payloads:
        req = urllib.request.Request(
            endpoint, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError) as err:
            raise DataVCError(f"could not post OpenLineage event to {endpoint}: {err}") from None


def emit_configured(repo: Repo, record: dict[str, Any]) -> str | None:
    """Post the record's events if ``openlineage.url`` is configured; returns a warning or None."""
    url = repo.config.get("openlineage", {}).get("url")
    if not url:
        return None
    try:
        post(str(url), events(repo, record))
    except DataVCError as err:
        return f"transform recorded, but {err}"
    return None
