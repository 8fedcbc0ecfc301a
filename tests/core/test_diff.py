"""The semantic diff (issue #3): files, schema, statistics and rows, in every tabular format."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jupyter_datavc
from jupyter_datavc.core.diff import DiffResult, diff
from jupyter_datavc.core.diff_hash import multiset, row_hashes
from jupyter_datavc.core.diff_rows import key_codes, match
from jupyter_datavc.core.errors import UnknownRevision, UsageError
from jupyter_datavc.core.repo import Repo

SCHEMA = json.loads((Path(jupyter_datavc.__file__).parent / "schemas" / "diff.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class Project:
    """A repository in a temp folder, with helpers that write a file and add it as a version."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = Repo.init(root)

    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def add(self, rel: str, name: str = "raw") -> str:
        version = self.repo.add(str(self.root / rel), name=name, message="m")
        return version.ref

    def parquet(self, rel: str, df: pd.DataFrame | pa.Table, **kw: Any) -> Path:
        p = self.path(rel)
        table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, p, **kw)
        return p

    def csv(self, rel: str, df: pd.DataFrame) -> Path:
        p = self.path(rel)
        df.to_csv(p, index=False)
        return p

    def diff(self, a: str, b: str | None = None, **kw: Any) -> dict[str, Any]:
        result = diff(self.repo, a, b, **kw)
        doc = result.to_json()
        VALIDATOR.validate(doc)  # every document the tests see follows the schema
        json.dumps(doc, allow_nan=False)  # and is strict JSON
        str(result), result._repr_html_()  # and renders
        return doc


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("DATAVC_AUTHOR", "tester")
    return Project(tmp_path / "project")


def frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "price": np.arange(n, dtype=np.float64) * 1.5,
            "city": [f"c{i % 3}" for i in range(n)],
        }
    )


def by_status(doc: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in doc["files"]:
        out.setdefault(f["status"], []).append(f["path"])
    return out


def codes(doc: dict[str, Any]) -> list[str]:
    return [m["code"] for m in doc["messages"]]


def col_stats(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in table["stats"]["columns"] if c["name"] == name)


# -- level 1: files --------------------------------------------------------------------------------
def test_files_added_removed_modified_renamed_from_manifests(proj: Project) -> None:
    # Given a folder of a text file, a binary file and a file that will move
    proj.path("d/notes.txt").write_text("one\ntwo\nthree\n")
    proj.path("d/blob.bin").write_bytes(os.urandom(5000))
    proj.path("d/keep.bin").write_bytes(b"k" * 100)
    proj.path("d/moving.bin").write_bytes(os.urandom(3000))
    v1 = proj.add("d")
    # When one line changes and one is added, a file is removed, one added and one moved
    proj.path("d/notes.txt").write_text("one\nTWO\nthree\nfour\n")
    os.unlink(proj.root / "d/blob.bin")
    proj.path("d/new.bin").write_bytes(b"n" * 10)
    os.makedirs(proj.root / "d/sub")
    os.rename(proj.root / "d/moving.bin", proj.root / "d/sub/moved.bin")
    v2 = proj.add("d")
    doc = proj.diff(v1, v2)
    # Then every change is classified, sizes are before -> after, unchanged files are only counted
    assert by_status(doc) == {
        "added": ["new.bin"],
        "modified": ["notes.txt"],
        "removed": ["blob.bin"],
        "renamed": ["sub/moved.bin"],
    }
    files = {f["path"]: f for f in doc["files"]}
    assert files["sub/moved.bin"]["old_path"] == "moving.bin"
    assert files["notes.txt"]["size"] == {"before": 14, "after": 19, "change": 5}
    assert files["notes.txt"]["lines"] == {"added": 2, "removed": 1}
    assert files["blob.bin"]["size"] == {"before": 5000, "after": None, "change": -5000}
    assert doc["summary"]["files"] == {"added": 1, "removed": 1, "modified": 1, "renamed": 1, "unchanged": 1}
    assert doc["summary"]["size"]["change"] == 5 - 5000 + 10
    assert doc["table"] is None and doc["summary"]["identical"] is False


def test_files_level_reads_no_data(proj: Project) -> None:
    proj.path("d/a.bin").write_bytes(os.urandom(2000))
    v1 = proj.add("d")
    os.rename(proj.root / "d/a.bin", proj.root / "d/b.bin")
    proj.path("d/c.bin").write_bytes(b"c")
    v2 = proj.add("d")
    doc = proj.diff(v1, v2)
    assert by_status(doc) == {"added": ["c.bin"], "renamed": ["b.bin"]}
    cache = proj.repo.dir / "cache" / "files"
    assert not cache.exists() or not any(cache.iterdir())  # nothing was assembled from chunks


def test_identical_versions_and_unchanged_workspace(proj: Project) -> None:
    proj.parquet("t.parquet", frame())
    v1 = proj.add("t.parquet")
    doc = proj.diff(v1, v1, key=["id"])
    assert doc["summary"]["identical"] is True and doc["files"] == []
    assert doc["table"]["identical"] is True and doc["table"]["stats"]["computed"] is False
    assert doc["table"]["rows"]["counts"] == {
        "before": 6,
        "after": 6,
        "added": 0,
        "removed": 0,
        "changed": 0,
        "unchanged": 6,
    }
    ws = proj.diff(v1)
    assert ws["summary"]["identical"] is True and ws["b"]["workspace"] is True


# -- level 2: schema -------------------------------------------------------------------------------
def test_schema_changes(proj: Project) -> None:
    t1 = pa.table(
        {"id": pa.array([1, 2], pa.int64()), "qty": pa.array([1, 2], pa.int64()), "old": ["x", "y"], "z": [1.0, 2.0]}
    )
    proj.parquet("t.parquet", t1)
    v1 = proj.add("t.parquet")
    schema = pa.schema(
        [
            pa.field("qty", pa.float64()),
            pa.field("id", pa.int64(), nullable=False),
            pa.field("z", pa.float64()),
            pa.field("new", pa.string()),
        ]
    )
    t2 = pa.table({"qty": [1.0, 2.5], "id": [1, 2], "z": [1.0, 2.0], "new": ["a", "b"]}, schema=schema)
    proj.parquet("t.parquet", t2)
    v2 = proj.add("t.parquet")
    s = proj.diff(v1, v2)["table"]["schema"]
    assert s["changed"] is True
    assert [c["name"] for c in s["added"]] == ["new"] and [c["name"] for c in s["removed"]] == ["old"]
    assert s["type_changed"] == [{"name": "qty", "before": "int64", "after": "double"}]
    assert s["nullability_changed"] == [{"name": "id", "before": True, "after": False}]
    assert s["order_changed"] is True
    assert [c["name"] for c in s["after"]] == ["qty", "id", "z", "new"]


def test_schema_of_partitioned_dataset_includes_partition_keys(proj: Project) -> None:
    for year in (2023, 2024):
        proj.parquet(f"p/year={year}/part-0.parquet", frame(4).assign(id=np.arange(4) + year * 10))
    v1 = proj.add("p")
    proj.parquet("p/year=2025/part-0.parquet", frame(4).assign(id=np.arange(4) + 20250, extra=1))
    v2 = proj.add("p")
    doc = proj.diff(v1, v2, key=["id"])
    table = doc["table"]
    assert [c["name"] for c in table["schema"]["before"]] == ["id", "price", "city", "year"]
    assert [c["name"] for c in table["schema"]["added"]] == ["extra"]
    assert table["schema"]["before"][3]["type"] == "int64"
    assert table["rows"]["counts"]["added"] == 4 and table["rows"]["counts"]["removed"] == 0
    assert table["stats"]["rows"]["before"]["value"] == 8 and table["stats"]["rows"]["after"]["value"] == 12
    assert col_stats(table, "year")["figures"]["max"]["after"]["value"] == 2025
    assert by_status(doc) == {"added": ["year=2025/part-0.parquet"]}


# -- level 3: statistics ---------------------------------------------------------------------------
def test_parquet_stats_footer_and_computed(proj: Project) -> None:
    df1 = pd.DataFrame({"x": [1.0, 2.0, None, 4.0], "s": ["a", "bb", "a", None]})
    proj.parquet("t.parquet", df1)
    v1 = proj.add("t.parquet")
    df2 = pd.DataFrame({"x": [1.0, 7.0, None, None, 4.0], "s": ["a", "bb", "ccc", "dddd", None]})
    proj.parquet("t.parquet", df2)
    v2 = proj.add("t.parquet")
    table = proj.diff(v1, v2)["table"]
    rows = table["stats"]["rows"]
    assert rows["before"] == {"value": 4, "source": "manifest", "exact": True}
    assert rows["after"]["value"] == 5 and rows["change"] == 1 and rows["changed"]
    x = col_stats(table, "x")["figures"]
    assert x["null_count"]["before"] == {"value": 1, "source": "footer", "exact": True}
    assert x["null_count"]["after"]["value"] == 2 and x["null_count"]["change"] == 1
    assert x["max"]["before"]["value"] == 4.0 and x["max"]["after"]["value"] == 7.0
    assert x["max"]["after"]["source"] == "footer"
    assert x["mean"]["before"]["source"] == "computed" and x["mean"]["before"]["value"] == pytest.approx(7 / 3)
    assert x["mean"]["after"]["value"] == pytest.approx(4.0)
    assert x["std"]["after"]["value"] == pytest.approx(float(pd.Series([1.0, 7.0, 4.0]).std()))
    s = col_stats(table, "s")
    assert s["kind"] == "string"
    assert s["figures"]["distinct"]["before"] == {"value": 2, "source": "computed", "exact": True}
    assert s["figures"]["distinct"]["after"]["value"] == 4
    assert s["figures"]["avg_length"]["before"]["value"] == pytest.approx(4 / 3)
    assert s["figures"]["max"]["after"]["value"] == "dddd"
    assert not s["figures"]["min"]["changed"]


def test_csv_stats_are_computed(proj: Project) -> None:
    proj.csv("t.csv", pd.DataFrame({"n": [1, 2, 3], "b": [True, False, True]}))
    v1 = proj.add("t.csv")
    proj.csv("t.csv", pd.DataFrame({"n": [1, 2, 30], "b": [True, True, True]}))
    v2 = proj.add("t.csv")
    table = proj.diff(v1, v2)["table"]
    n = col_stats(table, "n")["figures"]
    assert n["max"]["before"] == {"value": 3, "source": "computed", "exact": True}
    assert n["max"]["after"]["value"] == 30 and n["max"]["change"] == 27
    assert n["mean"]["after"]["value"] == pytest.approx(11.0)
    b = col_stats(table, "b")
    assert b["kind"] == "boolean" and b["figures"]["mean"]["after"]["value"] == 1.0


def test_distinct_is_estimated_for_large_high_cardinality_columns(
    proj: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jupyter_datavc.core.diff_stats as diff_stats

    monkeypatch.setattr(diff_stats, "SAMPLE_ROWS", 1000)
    n = 20_000
    low = pd.DataFrame({"u": [f"u{i}" for i in range(n)], "c": [f"c{i % 5}" for i in range(n)]})
    proj.parquet("t.parquet", low)
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", low.assign(c=[f"c{i % 6}" for i in range(n)]))
    v2 = proj.add("t.parquet")
    table = proj.diff(v1, v2)["table"]
    u = col_stats(table, "u")["figures"]["distinct"]
    assert u["before"] == {"value": n, "source": "estimated", "exact": False}  # unique: the estimate is exact
    c = col_stats(table, "c")["figures"]["distinct"]
    assert c["before"] == {"value": 5, "source": "computed", "exact": True}  # few values: counted
    assert c["after"]["value"] == 6 and c["changed"]


# -- level 4: rows ---------------------------------------------------------------------------------
def test_rows_by_key_with_samples(proj: Project) -> None:
    proj.parquet("t.parquet", frame(6))
    v1 = proj.add("t.parquet")
    df = frame(6)
    df.loc[df.id == 2, "price"] = 99.0
    df.loc[df.id == 4, "city"] = "zz"
    df = df[df.id != 5]
    df = pd.concat([df, pd.DataFrame({"id": [7, 8], "price": [1.0, 2.0], "city": ["n", "n"]})]).iloc[::-1]
    proj.parquet("t.parquet", df)
    v2 = proj.add("t.parquet")
    doc = proj.diff(v1, v2, key=["id"], limit=1)
    rows = doc["table"]["rows"]
    assert rows["mode"] == "key" and rows["key"] == ["id"]
    assert rows["counts"] == {"before": 6, "after": 7, "added": 2, "removed": 1, "changed": 2, "unchanged": 3}
    assert rows["changed_cells"] == {"price": 1, "city": 1}
    assert rows["added"]["columns"] == ["id", "price", "city"]
    assert rows["added"]["rows"] == [[8, 2.0, "n"]] and rows["added"]["truncated"] is True
    assert rows["removed"]["rows"] == [[5, 7.5, "c2"]] and rows["removed"]["truncated"] is False
    assert rows["changed"]["rows"] == [{"key": {"id": 4}, "cells": {"city": {"before": "c1", "after": "zz"}}}]
    assert doc["summary"]["row_changes"] == {"added": 2, "removed": 1, "changed": 2}
    full = proj.diff(v1, v2, key="id")["table"]["rows"]["changed"]["rows"]
    assert {"key": {"id": 2}, "cells": {"price": {"before": 3.0, "after": 99.0}}} in full


def test_rows_by_composite_key(proj: Project) -> None:
    df = pd.DataFrame({"a": ["x", "x", "y"], "b": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
    proj.parquet("t.parquet", df)
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pd.DataFrame({"a": ["y", "x", "x"], "b": [1, 2, 3], "v": [3.5, 2.0, 9.0]}))
    v2 = proj.add("t.parquet")
    rows = proj.diff(v1, v2, key=["a", "b"])["table"]["rows"]
    assert rows["counts"]["added"] == 1 and rows["counts"]["removed"] == 1 and rows["counts"]["changed"] == 1
    assert rows["changed"]["rows"][0]["key"] == {"a": "y", "b": 1}
    assert rows["added"]["rows"] == [["x", 3, 9.0]] and rows["removed"]["rows"] == [["x", 1, 1.0]]


def test_float_tolerance(proj: Project) -> None:
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2, 3, 4, 5], "x": [1.0, 100.0, float("nan"), 5.0, None]}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2, 3, 4, 5], "x": [1.0000001, 100.5, float("nan"), None, None]}))
    v2 = proj.add("t.parquet")
    exact = proj.diff(v1, v2, key=["id"])["table"]["rows"]
    assert exact["counts"]["changed"] == 3  # 1, 2 and 4 (a value became null); NaN equals NaN, null equals null
    loose = proj.diff(v1, v2, key=["id"], atol=1e-6)["table"]["rows"]
    assert loose["counts"]["changed"] == 2 and loose["atol"] == 1e-6
    relative = proj.diff(v1, v2, key=["id"], rtol=0.01)["table"]["rows"]
    assert relative["counts"]["changed"] == 1
    assert relative["changed"]["rows"] == [{"key": {"id": 4}, "cells": {"x": {"before": 5.0, "after": None}}}]


def test_rows_without_key_are_multisets(proj: Project) -> None:
    proj.csv("t.csv", pd.DataFrame({"a": [1, 1, 2, 3], "b": ["x", "x", "y", "z"]}))
    v1 = proj.add("t.csv")
    proj.csv("t.csv", pd.DataFrame({"a": [2, 1, 2, 4], "b": ["y", "x", "y", "w"]}))
    v2 = proj.add("t.csv")
    doc = proj.diff(v1, v2, rows=True, atol=0.1)
    rows = doc["table"]["rows"]
    assert rows["mode"] == "multiset" and rows["key"] is None
    assert rows["counts"] == {"before": 4, "after": 4, "added": 2, "removed": 2, "changed": None, "unchanged": 2}
    assert sorted(rows["added"]["rows"]) == [[2, "y"], [4, "w"]]
    assert sorted(rows["removed"]["rows"]) == [[1, "x"], [3, "z"]]
    assert "tolerance_unused" in codes(doc)


# -- formats ---------------------------------------------------------------------------------------
def _change(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[out.id == 1, "price"] = -1.0
    return pd.concat([out[out.id != 0], pd.DataFrame({"id": [10], "price": [0.5], "city": ["new"]})])


@pytest.mark.parametrize("ext", ["parquet", "csv", "feather", "arrow", "jsonl"])
def test_each_format_gives_the_same_row_diff(proj: Project, ext: str) -> None:
    def write(df: pd.DataFrame) -> None:
        p = proj.path(f"t.{ext}")
        if ext == "parquet":
            proj.parquet(p.name, df)
        elif ext == "csv":
            df.to_csv(p, index=False)
        elif ext in ("feather", "arrow"):
            feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), p)
        else:
            df.to_json(p, orient="records", lines=True)

    write(frame())
    v1 = proj.add(f"t.{ext}")
    write(_change(frame()))
    v2 = proj.add(f"t.{ext}")
    doc = proj.diff(v1, v2, key=["id"])
    assert doc["table"]["format"] == {
        "before": ext.replace("feather", "arrow"),
        "after": ext.replace("feather", "arrow"),
    }
    rows = doc["table"]["rows"]
    assert (rows["counts"]["added"], rows["counts"]["removed"], rows["counts"]["changed"]) == (1, 1, 1)
    assert rows["changed"]["rows"] == [{"key": {"id": 1}, "cells": {"price": {"before": 1.5, "after": -1.0}}}]
    assert doc["table"]["stats"]["rows"]["after"]["value"] == 6


def test_partitioned_parquet_row_moving_between_partitions(proj: Project) -> None:
    for part in ("a", "b"):
        ids = [1, 2] if part == "a" else [3, 4]
        proj.parquet(f"p/part={part}/0.parquet", pd.DataFrame({"id": ids, "v": [1.0, 2.0]}))
    v1 = proj.add("p")
    proj.parquet("p/part=a/0.parquet", pd.DataFrame({"id": [1], "v": [1.0]}))
    proj.parquet("p/part=b/0.parquet", pd.DataFrame({"id": [3, 4, 2], "v": [1.0, 2.0, 2.0]}))
    v2 = proj.add("p")
    doc = proj.diff(v1, v2, key=["id"])
    rows = doc["table"]["rows"]
    assert rows["counts"]["changed"] == 1 and rows["counts"]["added"] == 0
    assert rows["changed"]["rows"] == [{"key": {"id": 2}, "cells": {"part": {"before": "a", "after": "b"}}}]
    per_file = {f["path"]: f["table"] for f in doc["files"]}
    assert per_file["part=a/0.parquet"]["stats"]["computed"] is False  # metadata only: footers and row counts
    assert per_file["part=a/0.parquet"]["stats"]["rows"]["change"] == -1


def test_folder_of_different_tables_compares_file_by_file(proj: Project) -> None:
    proj.csv("d/train.csv", frame())
    proj.parquet("d/labels.parquet", pd.DataFrame({"label": ["x", "y"]}))
    v1 = proj.add("d")
    proj.csv("d/train.csv", _change(frame()))
    proj.parquet("d/labels.parquet", pd.DataFrame({"label": ["x", "y", "z"]}))
    v2 = proj.add("d")
    doc = proj.diff(v1, v2, key=["id"])
    assert doc["table"] is None and "separate_tables" in codes(doc)
    tables = {f["path"]: f["table"] for f in doc["files"]}
    assert tables["train.csv"]["rows"]["counts"]["changed"] == 1
    assert tables["labels.parquet"]["stats"]["rows"]["change"] == 1
    # the key does not exist in labels.parquet: that file falls back to a multiset, with an error naming it
    assert tables["labels.parquet"]["rows"]["mode"] == "multiset"
    missing = [m for m in doc["messages"] if m["code"] == "key_missing"]
    assert [m["file"] for m in missing] == ["labels.parquet"] and missing[0]["level"] == "error"
    assert "'id' (before and after)" in missing[0]["message"]
    assert doc["summary"]["row_changes"] == {"added": 2, "removed": 1, "changed": 1}


def test_different_datasets_single_files(proj: Project) -> None:
    proj.csv("a.csv", frame())
    va = proj.add("a.csv", name="alpha")
    proj.parquet("b.parquet", _change(frame()))
    vb = proj.add("b.parquet", name="beta")
    doc = proj.diff(va, vb, key=["id"])
    assert doc["same_dataset"] is False and "different_datasets" in codes(doc)
    assert doc["files"][0]["status"] == "modified" and doc["files"][0]["old_path"] == "a.csv"
    assert doc["table"]["format"] == {"before": "csv", "after": "parquet"}
    assert doc["table"]["rows"]["counts"]["changed"] == 1
    assert "(different datasets)" in str(diff(proj.repo, va, vb))


# -- bad input -------------------------------------------------------------------------------------
def test_duplicate_keys_fall_back_to_multiset(proj: Project) -> None:
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2, 3], "v": [1, 2, 3]}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2, 2], "v": [1, 2, 4]}))
    v2 = proj.add("t.parquet")
    doc = proj.diff(v1, v2, key=["id"])
    dup = next(m for m in doc["messages"] if m["code"] == "duplicate_key")
    assert dup["level"] == "error" and "2 rows after" in dup["message"] and "id=2" in dup["message"]
    rows = doc["table"]["rows"]
    assert rows["mode"] == "multiset" and rows["counts"]["added"] == 1 and rows["counts"]["removed"] == 1
    assert doc["table"]["stats"]["rows"]["before"]["value"] == 3  # the other levels are all there


def test_incompatible_types(proj: Project) -> None:
    proj.parquet("t.parquet", pa.table({"id": [1, 2], "code": [10, 20], "tags": pa.array([[1], [2]])}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pa.table({"id": [1, 2], "code": ["10", "21"], "tags": [5, 6]}))
    v2 = proj.add("t.parquet")
    doc = proj.diff(v1, v2, key=["id"])
    rows = doc["table"]["rows"]
    assert rows["counts"]["changed"] == 1 and rows["changed_cells"] == {"code": 1}  # compared as text
    assert rows["changed"]["rows"][0]["cells"] == {"code": {"before": 20, "after": "21"}}
    assert "type_mismatch" in codes(doc)
    assert [c["name"] for c in rows["ignored_columns"]] == ["tags"] and "incompatible_types" in codes(doc)
    assert {t["name"] for t in doc["table"]["schema"]["type_changed"]} == {"code", "tags"}


def test_key_with_incompatible_types(proj: Project) -> None:
    proj.parquet("t.parquet", pa.table({"id": pa.array([[1], [2]]), "v": [1, 2]}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pa.table({"id": [1, 2], "v": [1, 3]}))
    v2 = proj.add("t.parquet")
    doc = proj.diff(v1, v2, key=["id"])
    assert "key_type" in codes(doc) and doc["table"]["rows"]["mode"] == "multiset"


def test_unparseable_table_is_a_message(proj: Project) -> None:
    proj.parquet("d/good.parquet", frame())
    proj.path("d/bad.parquet").write_bytes(b"this is not parquet")
    v1 = proj.add("d")
    proj.parquet("d/good.parquet", _change(frame()))
    proj.path("d/bad.parquet").write_bytes(b"still not parquet, but different")
    v2 = proj.add("d")
    doc = proj.diff(v1, v2, key=["id"])
    bad = [m for m in doc["messages"] if m["file"] == "bad.parquet"]
    assert bad and all(m["level"] == "error" and m["code"] == "unreadable_table" for m in bad)
    assert "partial_table" in codes(doc)
    files = {f["path"]: f for f in doc["files"]}
    assert files["bad.parquet"]["lines"] == {"added": 1, "removed": 1}  # text fallback
    rows = doc["table"]["rows"]  # the readable part is still compared
    assert rows["counts"]["changed"] == 1 and rows["counts"]["added"] == 1
    assert doc["table"]["stats"]["rows"]["after"]["value"] == 6
    assert col_stats(doc["table"], "price")["figures"]["mean"]["after"]["exact"] is False


def test_corrupt_object_in_store_is_a_message(proj: Project) -> None:
    proj.parquet("t.parquet", frame())
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", _change(frame()))
    v2 = proj.add("t.parquet")
    entry = proj.repo.manifest(proj.repo.resolve(v2)).files[0]
    obj = proj.repo.objects.path(entry.chunks[0][0])
    os.chmod(obj, 0o644)
    obj.write_bytes(b"X" + obj.read_bytes()[1:])
    doc = proj.diff(v1, v2, key=["id"])
    err = next(m for m in doc["messages"] if m["code"] == "unreadable_table")
    assert err["file"] == "t.parquet" and "corrupt object" in err["message"]
    assert "rows_skipped" in codes(doc)
    assert doc["files"][0]["status"] == "modified" and doc["table"]["schema"]["changed"] is False
    assert doc["summary"]["errors"] >= 1


def test_options_are_checked(proj: Project) -> None:
    proj.csv("t.csv", frame())
    v1 = proj.add("t.csv")
    with pytest.raises(UsageError):
        diff(proj.repo, v1, v1, atol=-1)
    with pytest.raises(UsageError):
        diff(proj.repo, v1, v1, limit=-1)
    with pytest.raises(UsageError):
        diff(proj.repo, v1, v1, key=[])
    with pytest.raises(UnknownRevision):
        diff(proj.repo, "raw@v9")


def test_table_dataset_has_no_workspace(proj: Project) -> None:
    proj.repo.add(table=frame(), name="frame")
    with pytest.raises(UsageError, match="no workspace path"):
        diff(proj.repo, "frame@v1")


# -- workspace -------------------------------------------------------------------------------------
def test_workspace_diff(proj: Project) -> None:
    proj.csv("t.csv", frame())
    v1 = proj.add("t.csv")
    proj.csv("t.csv", _change(frame()))  # edited, not added
    doc = proj.diff(v1, key=["id"])
    assert doc["b"]["workspace"] is True and doc["b"]["label"] == "workspace (t.csv)" and doc["b"]["version"] is None
    assert doc["files"][0]["hash"]["after"] is not None
    rows = doc["table"]["rows"]
    assert (rows["counts"]["added"], rows["counts"]["removed"], rows["counts"]["changed"]) == (1, 1, 1)
    assert doc["summary"]["rows"] == {"before": 6, "after": 6, "change": 0}
    stats_rows = doc["table"]["stats"]["rows"]
    assert stats_rows["before"]["source"] == "manifest" and stats_rows["after"]["source"] == "computed"


def test_workspace_folder_and_missing_workspace(proj: Project) -> None:
    proj.parquet("d/part-0.parquet", frame())
    proj.path("d/readme.txt").write_text("hello\n")
    v1 = proj.add("d")
    proj.path("d/readme.txt").write_text("hello\nworld\n")
    proj.parquet("d/part-1.parquet", frame().assign(id=np.arange(6) + 100))
    doc = proj.diff(v1, rows=True)
    assert by_status(doc) == {"added": ["part-1.parquet"], "modified": ["readme.txt"]}
    assert doc["table"]["rows"]["counts"]["added"] == 6
    assert {f["path"]: f["lines"] for f in doc["files"]}["readme.txt"] == {"added": 1, "removed": 0}
    for p in (proj.root / "d").iterdir():
        p.unlink()
    (proj.root / "d").rmdir()
    gone = proj.diff(v1)
    assert "workspace_missing" in codes(gone) and by_status(gone) == {"removed": ["part-0.parquet", "readme.txt"]}


# -- rendering -------------------------------------------------------------------------------------
def test_hostile_strings_are_escaped(proj: Project) -> None:
    evil = "<script>alert('x')</script>"
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2], evil: ["a", evil]}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pd.DataFrame({"id": [1, 2, 3], evil: [evil, "b", "<img src=x onerror=alert(1)>"]}))
    v2 = proj.add("t.parquet")
    proj.path("d/<b>bold</b>.txt").write_text("a\n")
    proj.add("d", name="files")
    proj.path("d/<b>bold</b>.txt").write_text("b\n")
    for result in (diff(proj.repo, v1, v2, key=["id"]), diff(proj.repo, "files@v1")):
        page = result._repr_html_()
        assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
        for section in ("Summary", "Files", "Schema", "Stats", "Rows"):
            assert f"<h4>{section}</h4>" in page
    page = diff(proj.repo, v1, v2, key=["id"])._repr_html_()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "dv-changed" in page  # changed cells are highlighted


def test_text_rendering_counts_first(proj: Project) -> None:
    proj.parquet("t.parquet", frame())
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", _change(frame()))
    v2 = proj.add("t.parquet")
    result = diff(proj.repo, v1, v2, key=["id"])
    assert isinstance(result, DiffResult) and not result.identical
    lines = str(result).splitlines()
    assert lines[0] == "diff raw@v1 -> raw@v2"
    assert lines[2].split() == ["files", "1", "modified"]
    assert any(line.split()[:2] == ["row", "changes"] for line in lines[:8])
    assert "Rows: 1 added, 1 removed, 1 changed, 4 unchanged; matched by id" in lines
    stats = lines[lines.index("Stats") + 1 :]
    assert stats[0].split() == ["column", "figure", "before", "after", "change", "source"]
    assert "raw@v1 -> raw@v2" in repr(result)


# -- the row engine against simple references -----------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(-3, 3), st.sampled_from(["a", "b", None])), max_size=30),
    st.lists(st.tuples(st.integers(-3, 3), st.sampled_from(["a", "b", None])), max_size=30),
)
def test_multiset_matches_counter(rows_a: list[tuple[int, Any]], rows_b: list[tuple[int, Any]]) -> None:
    ta = pa.table(
        {"n": pa.array([r[0] for r in rows_a], pa.int64()), "s": pa.array([r[1] for r in rows_a], pa.string())}
    )
    tb = pa.table(
        {"n": pa.array([r[0] for r in rows_b], pa.int64()), "s": pa.array([r[1] for r in rows_b], pa.string())}
    )
    ha, hb = row_hashes(list(zip(ta.columns, tb.columns, strict=True)), ta.num_rows, tb.num_rows)
    added, removed, sample_a, sample_b = multiset(ha, hb, 100)
    ca, cb = Counter(rows_a), Counter(rows_b)
    assert added == sum((cb - ca).values()) and removed == sum((ca - cb).values())
    assert Counter(rows_b[i] for i in sample_b) == cb - ca
    assert Counter(rows_a[i] for i in sample_a) == ca - cb


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.integers(-(2**62), 2**62), max_size=40),
    st.sets(st.integers(-(2**62), 2**62), max_size=40),
    st.booleans(),
)
def test_key_matching_matches_a_dict(keys_a: set[int], keys_b: set[int], dense: bool) -> None:
    la = sorted(k % 50 for k in keys_a) if dense else sorted(keys_a)
    la = list(dict.fromkeys(la))[::-1]
    lb = list(dict.fromkeys(sorted(k % 50 for k in keys_b) if dense else sorted(keys_b)))
    ka, kb = key_codes([pa.chunked_array([pa.array(la, pa.int64())])], [pa.chunked_array([pa.array(lb, pa.int64())])])
    ia, dup_a, dup_b = match(ka, kb)
    pos = {k: i for i, k in enumerate(la)}
    assert list(ia) == [pos.get(k, -1) for k in lb] and len(dup_a) == len(dup_b) == 0


def test_key_matching_paths_and_duplicates() -> None:
    rng = np.random.default_rng(0)
    sparse = rng.choice(2**60, 5000, replace=False).astype(np.int64)
    for ka in (np.sort(sparse), sparse, np.arange(5000, dtype=np.int64)[::-1].copy()):
        kb = np.concatenate([ka[100:], ka[:10] + 1])
        ia, _, _ = match(ka, kb)
        pos = {int(k): i for i, k in enumerate(ka)}
        assert list(ia) == [pos.get(int(k), -1) for k in kb]
    _, dup_a, dup_b = match(np.array([1, 2, 2, 9], np.int64), np.array([5, 5], np.int64))
    assert list(dup_a) == [1, 2] and list(dup_b) == [0, 1]


def test_large_table_vectorized_paths(proj: Project) -> None:
    n = 300_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"id": rng.permutation(n), "x": rng.random(n), "s": [f"s{i}" for i in range(n)]})
    proj.parquet("big.parquet", df)
    v1 = proj.add("big.parquet")
    df2 = df.copy()
    df2.loc[df2.index[:1000], "x"] += 1
    df2 = df2.iloc[500:]
    proj.parquet("big.parquet", df2)
    v2 = proj.add("big.parquet")
    keyed = proj.diff(v1, v2, key=["id"])["table"]["rows"]["counts"]
    assert (keyed["added"], keyed["removed"], keyed["changed"]) == (0, 500, 500)
    unkeyed = proj.diff(v1, v2, rows=True)["table"]["rows"]["counts"]
    assert (unkeyed["added"], unkeyed["removed"]) == (500, 1000)


def test_exotic_columns_and_empty_tables(proj: Project) -> None:
    # Given categorical, timestamp, signed-zero and all-null columns, and a null key on each side
    df1 = pd.DataFrame(
        {
            "id": pd.array([1, 2, None], dtype="Int64"),
            "cat": pd.Categorical(["x", "y", "x"]),
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
            "z": [0.0, 1.0, 2.0],
            "nothing": [None, None, None],
        }
    )
    proj.parquet("t.parquet", df1)
    v1 = proj.add("t.parquet")
    df2 = df1.assign(z=[-0.0, 1.0, 2.0], cat=pd.Categorical(["x", "y", "w"]), when=df1["when"].shift(-1))
    proj.parquet("t.parquet", df2)
    v2 = proj.add("t.parquet")
    doc = proj.diff(v1, v2, key=["id"])
    rows = doc["table"]["rows"]
    # Then the null keys match each other, -0.0 equals 0.0, and the changes are found
    assert rows["counts"]["changed"] == 3 and rows["changed_cells"] == {"cat": 1, "when": 2}
    null_key = next(r for r in rows["changed"]["rows"] if r["key"] == {"id": None})
    assert null_key["cells"]["cat"] == {"before": "x", "after": "w"}
    assert col_stats(doc["table"], "when")["figures"]["min"]["after"]["value"] == "2024-01-02 00:00:00"
    assert col_stats(doc["table"], "cat")["figures"]["distinct"]["after"]["value"] == 3
    unkeyed = proj.diff(v1, v2, rows=True)["table"]["rows"]["counts"]
    assert (unkeyed["added"], unkeyed["removed"]) == (3, 3)
    # an empty table against a full one
    proj.parquet("t.parquet", df1.iloc[:0])
    v3 = proj.add("t.parquet")
    empty = proj.diff(v2, v3, key=["id"])["table"]
    assert empty["rows"]["counts"]["removed"] == 3 and empty["stats"]["rows"]["after"]["value"] == 0
    assert col_stats(empty, "z")["figures"]["mean"]["after"]["value"] is None


def test_null_keys_twice_are_duplicates(proj: Project) -> None:
    proj.csv("t.csv", pd.DataFrame({"id": [1.0, None, None], "v": [1, 2, 3]}))
    v1 = proj.add("t.csv")
    proj.csv("t.csv", pd.DataFrame({"id": [1.0, None], "v": [1, 2]}))
    v2 = proj.add("t.csv")
    doc = proj.diff(v1, v2, key=["id"])
    assert "duplicate_key" in codes(doc)
    assert doc["table"]["rows"]["counts"]["removed"] == 1


def test_part_unreadable_on_one_side_is_left_out_of_both(proj: Project) -> None:
    # Given a two-part table whose second part is replaced by garbage in v2
    proj.parquet("p/part-0.parquet", frame(4))
    proj.parquet("p/part-1.parquet", frame(4).assign(id=np.arange(4) + 10))
    v1 = proj.add("p")
    proj.parquet("p/part-0.parquet", frame(4).assign(price=[0.0, 9.0, 9.0, 9.0]))
    proj.path("p/part-1.parquet").write_bytes(b"PAR1 garbage")
    v2 = proj.add("p")
    doc = proj.diff(v1, v2, key=["id"])
    # Then part-1's rows are not reported as removed; part-0's changes are
    rows = doc["table"]["rows"]["counts"]
    assert (rows["added"], rows["removed"], rows["changed"], rows["unchanged"]) == (0, 0, 3, 1)  # price 0.0 stays
    bad = [m for m in doc["messages"] if m["file"] == "part-1.parquet"]
    assert [m["code"] for m in bad] == ["unreadable_table"] and "(after)" in bad[0]["message"]
    assert "partial_table" in codes(doc)
    assert col_stats(doc["table"], "price")["figures"]["mean"]["before"]["exact"] is False


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=40), st.integers(0, 5))
def test_text_cell_ids_depend_on_the_value_only(values: list[str | None], cut: int) -> None:
    import jupyter_datavc.core.diff_hash as diff_hash

    whole = pa.chunked_array([pa.array(values, pa.string())])
    # the same values as a slice of a bigger large_string array, hashed in blocks of 3
    sliced = pa.chunked_array([pa.array(["pad"] * cut + values, pa.large_string()).slice(cut)])
    old = diff_hash.BLOCK
    diff_hash.BLOCK = 3
    try:
        ids_a, ids_b = diff_hash.cell_ids(whole), diff_hash.cell_ids(sliced)
    finally:
        diff_hash.BLOCK = old
    assert list(ids_a) == list(ids_b)
    for i, x in enumerate(values):
        for j, y in enumerate(values):
            assert (ids_a[i] == ids_a[j]) == (x == y)


def test_exotic_types_and_parts_that_do_not_combine(proj: Project) -> None:
    half = pa.array(np.array([1.0, 2.0], dtype=np.float16))
    proj.parquet("h.parquet", pa.table({"id": [1, 2], "h": half}))
    v1 = proj.add("h.parquet", name="half")
    proj.parquet("h.parquet", pa.table({"id": [1, 2], "h": pa.array(np.array([1.0, 3.0], dtype=np.float16))}))
    v2 = proj.add("h.parquet", name="half")
    doc = proj.diff(v1, v2, key=["id"])
    assert doc["table"]["rows"]["counts"]["changed"] == 1
    assert "null_count" in col_stats(doc["table"], "h")["figures"]
    # two parts whose column types do not combine (a number in one, a list in the other)
    proj.parquet("p/part-0.parquet", pa.table({"id": [1], "x": [1]}))
    proj.parquet("p/part-1.parquet", pa.table({"id": [2], "x": pa.array([[1]])}))
    w1 = proj.add("p", name="parts")
    proj.parquet("p/part-0.parquet", pa.table({"id": [1], "x": [5]}))
    w2 = proj.add("p", name="parts")
    parts = proj.diff(w1, w2, key=["id"])
    assert "incompatible_parts" in codes(parts) and "rows_skipped" in codes(parts)
    assert parts["table"]["schema"]["before"][1]["type"] == "int64 | list<element: int64>"
    assert by_status(parts) == {"modified": ["part-0.parquet"]}


def test_schema_is_valid_and_strict(proj: Project) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"] == {
        "const": 1,
        "description": SCHEMA["properties"]["schema_version"]["description"],
    }
    proj.csv("t.csv", frame())
    v1 = proj.add("t.csv")
    proj.csv("t.csv", _change(frame()))
    v2 = proj.add("t.csv")
    doc = json.loads(json.dumps(proj.diff(v1, v2, key=["id"])))
    assert doc["schema_version"] == 1
    for mutate in (
        lambda d: d.update(extra=1),
        lambda d: d["summary"]["files"].pop("renamed"),
        lambda d: d["table"]["stats"]["columns"][0]["figures"].update(median={}),
        lambda d: d["table"]["rows"]["counts"].update(added=-1),
        lambda d: d["files"][0].update(status="copied"),
        lambda d: d["messages"].append({"level": "fatal", "code": "x", "file": None, "message": ""}),
    ):
        bad = json.loads(json.dumps(doc))
        mutate(bad)
        assert not VALIDATOR.is_valid(bad)
