"""The REST API under /jupyter-datavc/, through a real jupyter_server with token authentication."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import jsonschema
import pytest
from datavc_sample import HOSTILE, raw_frame

import jupyter_datavc
from jupyter_datavc.core import browse
from jupyter_datavc.core.diff import diff
from jupyter_datavc.core.repo import Repo
from jupyter_datavc.server.handlers import ROUTES

SCHEMA = json.loads((Path(jupyter_datavc.__file__).parent / "schemas" / "diff.schema.json").read_text())


async def test_version_reports_the_package_version(api) -> None:
    status, body = await api("version")
    assert status == 200
    assert body == {"version": jupyter_datavc.__version__, "api": 1}


@pytest.mark.parametrize("path, method", [(p.replace("([^/]+)", "x"), m) for p, h in ROUTES for m in ("GET", "POST")])
async def test_every_route_refuses_requests_without_a_token(jp_fetch, sample_repo: Repo, path, method) -> None:
    # Given a server with allow_unauthenticated_access=False, When a request carries no token
    body = b"" if method == "POST" else None
    no_token = {"Authorization": ""}
    resp = await jp_fetch("jupyter-datavc", path, method=method, body=body, headers=no_token, raise_error=False)
    # Then it is refused before any handler code runs
    assert resp.code in (401, 403), (path, method, resp.code)
    assert b"Traceback" not in resp.body


async def test_datasets_lists_latest_versions(api, sample_repo: Repo) -> None:
    status, body = await api("datasets")
    assert status == 200
    by_name = {d["name"]: d for d in body["datasets"]}
    assert sorted(by_name) == ["images", "notes", "raw"]
    raw = by_name["raw"]
    assert (raw["latest"], raw["versions"], raw["ref"], raw["rows"]) == (3, 3, "raw@v3", 101)
    assert raw["size"] == sample_repo.resolve("raw").size
    assert raw["message"] == "add qty column" and raw["time"].endswith("Z")
    assert by_name["notes"]["message"] == f"{HOSTILE} v2" and by_name["notes"]["author"] == HOSTILE


async def test_versions_are_paged_newest_first_with_deltas(api, sample_repo: Repo) -> None:
    status, page = await api("datasets", "raw", "versions", params={"limit": 2})
    assert status == 200
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 2)
    assert [v["number"] for v in page["versions"]] == [3, 2]
    v3, v2 = page["versions"]
    assert v2["tags"] == ["baseline"] and v2["short"] == v2["manifest"][:10]
    assert v3["size_change"] == v3["size"] - v2["size"]
    assert v2["rows_change"] == 1  # two rows dropped, three added
    status, rest = await api("datasets", "raw", "versions", params={"offset": 2, "limit": 2})
    assert [v["number"] for v in rest["versions"]] == [1]
    assert rest["versions"][0]["size_change"] is None and rest["versions"][0]["rows_change"] is None


@pytest.mark.parametrize(
    "name, params, status, words",
    [
        ("nope", {}, 404, "unknown dataset"),
        ("rwa", {}, 404, "did you mean 'raw'"),
        ("raw", {"limit": 0}, 400, "limit"),
        ("raw", {"limit": "ten"}, 400, "whole number"),
        ("raw", {"offset": -1}, 400, "offset"),
        ("-bad", {}, 400, "invalid dataset name"),
    ],
)
async def test_versions_errors(api, sample_repo: Repo, name, params, status, words) -> None:
    code, body = await api("datasets", name, "versions", params=params)
    assert code == status
    assert words in body["message"]
    assert "Traceback" not in json.dumps(body)


async def test_version_summary_describes_the_manifest(api, sample_repo: Repo) -> None:
    status, body = await api("datasets", "raw", "versions", "baseline")
    assert status == 200
    assert body["version"]["ref"] == "raw@v2" and body["version"]["tags"] == ["baseline"]
    assert body["kind"] == "file" and body["files_total"] == 1
    (f,) = body["files"]
    assert (f["path"], f["format"], f["rows"], f["columns"]) == ("raw.parquet", "parquet", 101, 3)
    assert [c["name"] for c in body["schema"]] == ["id", "price", "city"]
    status, notes = await api("datasets", "notes", "versions", "v1")
    assert [f["path"] for f in notes["files"]] == [f"{HOSTILE}.csv"]


@pytest.mark.parametrize("rev, status", [("v9", 404), ("v0", 400), ("nosuchtag", 404), ("bad@rev", 400)])
async def test_version_summary_errors(api, sample_repo: Repo, rev, status) -> None:
    code, body = await api("datasets", "raw", "versions", rev)
    assert code == status, body
    assert body["message"] and body["reason"]


async def test_diff_of_two_versions_is_the_core_diff(api, sample_repo: Repo) -> None:
    status, body = await api("diff", params={"a": "raw@v1", "b": "raw@v2"})
    assert status == 200
    jsonschema.validate(body, SCHEMA)
    assert body == json.loads(json.dumps(diff(sample_repo, "raw@v1", "raw@v2").to_json()))
    assert body["summary"]["rows"] == {"before": 100, "after": 101, "change": 1}


async def test_diff_rows_by_key(api, sample_repo: Repo) -> None:
    status, body = await api("diff", params={"a": "raw@v1", "b": "raw@baseline", "rows": "1", "key": "id"})
    assert status == 200
    jsonschema.validate(body, SCHEMA)
    rows = body["table"]["rows"]
    assert rows["mode"] == "key" and rows["counts"]["changed"] == 3
    assert rows["changed_cells"] == {"price": 3}


async def test_diff_against_the_workspace(api, sample_repo: Repo) -> None:
    # Given a workspace copy of raw that is raw@v1 again
    raw_frame(1).to_parquet(sample_repo.root / "data" / "raw.parquet", index=False)
    status, body = await api("diff", params={"a": "raw@v3"})
    assert status == 200
    jsonschema.validate(body, SCHEMA)
    assert body["b"]["workspace"] is True and body["summary"]["files"]["modified"] == 1
    assert body["summary"]["columns"]["removed"] == 1


@pytest.mark.parametrize(
    "params, status",
    [({}, 400), ({"a": "raw@v1", "b": "raw@v7"}, 404), ({"a": "raw@@"}, 400), ({"a": "raw@v1", "limit": "-1"}, 400)],
)
async def test_diff_errors(api, sample_repo: Repo, params, status) -> None:
    code, body = await api("diff", params=params)
    assert code == status, body
    assert body["message"]


async def test_lineage_answers_501_until_the_core_module_exists(api, sample_repo: Repo) -> None:
    status, body = await api("lineage", params={"rev": "raw@v2", "direction": "up", "depth": 2})
    if importlib.util.find_spec("jupyter_datavc.core.lineage") is None:
        assert status == 501
        assert body["reason"] == "NotAvailable" and "lineage" in body["message"]
    else:
        assert status == 200
    code, body = await api("lineage", params={"rev": "raw@v2", "direction": "sideways"})
    assert code == 400 and "direction" in body["message"]


async def test_runs_answers_501_until_the_core_module_exists(api, sample_repo: Repo) -> None:
    status, body = await api("runs")
    if importlib.util.find_spec("jupyter_datavc.core.runs") is None:
        assert status == 501 and body["reason"] == "NotAvailable"
    else:
        assert status in (200, 501)


def _fake_running_job(repo: Repo, job_id: str = "feedbeef") -> Path:
    doc = {
        "id": job_id,
        "kind": "add",
        "dataset": "raw",
        "description": f"add {HOSTILE}",
        "state": "running",
        "pid": os.getpid(),
        "created": time.time(),
        "finished": None,
        "phase": "hashing",
        "bytes_done": 50,
        "bytes_total": 200,
        "files_done": 0,
        "files_total": 1,
        "rate": 10.0,
        "eta": 15.0,
        "error": None,
        "result": None,
    }
    path = repo.dir / "jobs" / f"{job_id}.json"
    path.write_text(json.dumps(doc))
    return path


async def test_jobs_list_and_cancel(api, sample_repo: Repo) -> None:
    _fake_running_job(sample_repo)
    status, body = await api("jobs")
    assert status == 200
    jobs = {j["id"]: j for j in body["jobs"]}
    assert jobs["feedbeef"]["state"] == "running" and jobs["feedbeef"]["bytes_done"] == 50
    assert sum(1 for j in jobs.values() if j["state"] == "done") == 7  # the sample's adds
    status, body = await api("jobs", "feed", "cancel", method="POST")
    assert status == 200 and body["job"]["id"] == "feedbeef"
    assert (sample_repo.dir / "jobs" / "feedbeef.cancel").exists()
    status, body = await api("jobs", "nosuchjob", "cancel", method="POST")
    assert status == 404 and "unknown job" in body["message"]


async def test_changes_token_moves_with_versions_tags_and_jobs(api, sample_repo: Repo) -> None:
    _, first = await api("changes")
    _, again = await api("changes")
    assert first == again and first == browse.change_token(sample_repo.root)
    raw_frame(1).to_parquet(sample_repo.root / "data" / "raw.parquet", index=False)
    sample_repo.add(sample_repo.root / "data" / "raw.parquet", name="raw", message="back to v1 data")
    _, after_add = await api("changes")
    assert after_add["refs"] != first["refs"]
    sample_repo.tag("raw@v4", "newest")
    _, after_tag = await api("changes")
    assert after_tag["refs"] != after_add["refs"] and after_tag["token"] != after_add["token"]
    _fake_running_job(sample_repo, "0123abcd")
    _, after_job = await api("changes")
    assert after_job["jobs"] != after_tag["jobs"] and after_job["refs"] == after_tag["refs"]


async def test_without_a_repository(api, jp_root_dir: Path) -> None:
    status, body = await api("datasets")
    assert status == 404 and body["reason"] == "RepoNotFound" and "datavc init" in body["message"]
    status, body = await api("changes")
    assert status == 200 and body["token"] == "none"
    # When a repository appears later, the same server finds it
    Repo.init(jp_root_dir)
    status, body = await api("datasets")
    assert status == 200 and body["datasets"] == []


async def test_server_errors_hide_details(api, sample_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a ref file that is not JSON: a CorruptMetadata (500) with its one-line message
    (sample_repo.dir / "refs" / "images" / "v1.json").write_text("{not json")
    status, body = await api("datasets", "images", "versions")
    assert status == 500 and "unreadable" in body["message"] and "Traceback" not in json.dumps(body)

    # Given a bug (an exception that is not a DataVCError): a 500 that says nothing of it
    def broken(repo: Repo) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(browse, "datasets", broken)
    status, body = await api("datasets")
    assert status == 500
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert body["reason"] == "InternalError"


async def test_lineage_and_runs_answer_501_without_their_core_modules(
    api, sample_repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an installation without the lineage and runs modules
    from jupyter_datavc.server import optional

    real = optional.importlib.import_module

    def missing(name: str):
        if name in ("jupyter_datavc.core.lineage", "jupyter_datavc.core.runs"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name)

    monkeypatch.setattr(optional.importlib, "import_module", missing)
    for path, params in (("lineage", {"rev": "raw@v1"}), ("runs", {})):
        status, body = await api(path, params=params)
        assert status == 501 and body["reason"] == "NotAvailable" and "not available" in body["message"]
