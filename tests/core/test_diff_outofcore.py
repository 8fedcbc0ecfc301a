"""Row diffs out of core (hash buckets spilled to disk) give what the in-memory diff gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_diff import Project, codes

from jupyter_datavc.core import diff_budget, diff_outofcore


@pytest.fixture
def proj(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("DATAVC_AUTHOR", "tester")
    monkeypatch.delenv(diff_budget.ENV, raising=False)
    return Project(tmp_path / "project")


def tmp_files(proj: Project) -> list[str]:
    tmp = proj.repo.dir / "tmp"
    return sorted(str(p) for p in tmp.rglob("*")) if tmp.exists() else []


def same_rows(proj: Project, a: str, b: str, **kw: Any) -> dict[str, Any]:
    """Diff in memory and out of core (a budget of 1 byte); the rows sections must be equal."""
    mem = proj.diff(a, b, rows=True, **kw)
    out = proj.diff(a, b, rows=True, memory=1, **kw)
    assert "stats_from_metadata" in codes(out) and "stats_from_metadata" not in codes(mem)
    assert out["table"]["rows"] == mem["table"]["rows"]
    assert [m for m in out["messages"] if m["code"] != "stats_from_metadata"] == mem["messages"]
    assert tmp_files(proj) == []  # the buckets are gone
    rows: dict[str, Any] = out["table"]["rows"]
    return rows


def big_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "x": rng.normal(size=n),
            "q": rng.integers(0, 5, n),
            "name": [f"n{v}" for v in rng.integers(0, 10**9, n)],
            "city": rng.choice(["a", "b", "c", None], n),
        }
    )


def changed(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = df.copy()
    edit = rng.choice(len(df), len(df) // 20, replace=False)
    df.loc[edit[: len(edit) // 2], "x"] += 1.0
    df.loc[edit[len(edit) // 2 :], "name"] = "changed"
    df = df.drop(index=rng.choice(len(df), len(df) // 30, replace=False))
    extra = big_frame(len(df) // 25, seed + 5)
    extra["id"] += 10**6
    return pd.concat([df, extra, df.iloc[:3]], ignore_index=True)  # three duplicated rows at the end


def test_keyed_and_unkeyed_match_in_memory_with_samples_across_buckets(proj: Project) -> None:
    # Given two versions of a two-part table with cells changed, rows removed, added and repeated
    df = big_frame(3000)
    proj.parquet("t/part-0.parquet", df.iloc[:1500])
    proj.parquet("t/part-1.parquet", df.iloc[1500:])
    v1 = proj.add("t")
    new = changed(df)
    proj.parquet("t/part-0.parquet", new.iloc[:1700])
    proj.parquet("t/part-1.parquet", new.iloc[1700:])
    v2 = proj.add("t")
    # When both are compared by rows, out of core and in memory, the rows sections are equal
    unkeyed = same_rows(proj, v1, v2, limit=7)
    assert unkeyed["counts"]["added"] > 7 and unkeyed["added"]["truncated"]
    assert len(unkeyed["removed"]["rows"]) == 7
    # with a key the duplicated rows are duplicate keys: compared as multisets, with the same message
    dup = same_rows(proj, v1, v2, key="id", limit=7)
    assert dup["mode"] == "multiset"
    proj.parquet("t/part-1.parquet", new.iloc[1700:-3])
    v3 = proj.add("t")
    keyed = same_rows(proj, v1, v3, key="id", limit=5)
    assert keyed["mode"] == "key" and keyed["counts"]["changed"] > 100 and keyed["changed"]["truncated"]
    assert set(keyed["changed_cells"]) == {"x", "name"} and len(keyed["changed"]["rows"]) == 5
    assert same_rows(proj, v1, v3, key="id", limit=0)["counts"] == keyed["counts"]
    assert same_rows(proj, v1, v3, key=["id", "q"], limit=3)["mode"] == "key"


def test_nulls_tolerance_and_types_that_differ(proj: Project) -> None:
    df1 = pd.DataFrame({"k": pd.array([1, 2, None, 4, 5], "Int32"), "v": [1.0, 2.0, np.nan, 4.0, -0.0]})
    df2 = pd.DataFrame({"k": pd.array([5, 4, None, 2, 9], "Int64"), "v": [0.0, 4.0000001, np.nan, 2.5, 1.0]})
    proj.parquet("t.parquet", df1)
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", df2)
    v2 = proj.add("t.parquet")
    rows = same_rows(proj, v1, v2, key="k", atol=1e-3)
    assert rows["mode"] == "key" and rows["counts"]["changed"] == 1  # k=2: 2.0 -> 2.5
    assert same_rows(proj, v1, v2, key="k")["counts"]["changed"] == 2
    assert same_rows(proj, v1, v2)["mode"] == "multiset"
    assert same_rows(proj, v1, v2, atol=0.1)["counts"]["added"] == 3


def test_null_keys_twice_and_missing_key(proj: Project) -> None:
    proj.parquet("t.parquet", pd.DataFrame({"k": [1.0, None, None], "v": [1, 2, 3]}))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", pd.DataFrame({"k": [1.0, None, 3.0], "v": [1, 2, 4]}))
    v2 = proj.add("t.parquet")
    rows = same_rows(proj, v1, v2, key="k")
    assert rows["mode"] == "multiset" and rows["counts"]["added"] == 1
    assert same_rows(proj, v1, v2, key="nope")["mode"] == "multiset"


def test_hive_partitioned_rows_moving_between_partitions(proj: Project) -> None:
    df = big_frame(400)
    for year, part in ((2023, df.iloc[:200]), (2024, df.iloc[200:])):
        proj.parquet(f"h/year={year}/part-0.parquet", part)
    v1 = proj.add("h")
    proj.parquet("h/year=2023/part-0.parquet", df.iloc[:150])
    proj.parquet("h/year=2024/part-0.parquet", pd.concat([df.iloc[150:]]))
    proj.parquet("h/year=2025/part-0.parquet", df.iloc[:10])
    v2 = proj.add("h")
    rows = same_rows(proj, v1, v2, key=["id", "year"], limit=4)
    assert rows["counts"]["added"] == 60 and rows["counts"]["removed"] == 50
    assert "year" in rows["columns"]
    assert same_rows(proj, v1, v2, limit=4)["counts"]["removed"] == 50


def test_csv_and_arrow(proj: Project) -> None:
    df = big_frame(500)
    proj.csv("c.csv", df)
    v1 = proj.add("c.csv", name="c")
    proj.csv("c.csv", changed(df))
    v2 = proj.add("c.csv", name="c")
    assert same_rows(proj, v1, v2, limit=3)["counts"]["added"] > 0
    assert same_rows(proj, v1, v2, key="id", limit=3)["mode"] == "multiset"  # the duplicated rows
    import pyarrow.feather as feather

    feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), proj.path("f.arrow"))
    w1 = proj.add("f.arrow", name="f")
    feather.write_feather(pa.Table.from_pandas(changed(df).iloc[:-3], preserve_index=False), proj.path("f.arrow"))
    w2 = proj.add("f.arrow", name="f")
    assert same_rows(proj, w1, w2, key="id", limit=3)["mode"] == "key"
    # the workspace side too (its CSV was read while describing it)
    proj.csv("c.csv", df.iloc[5:])
    assert same_rows(proj, v1, None, key="id")["counts"]["removed"] == 5  # type: ignore[arg-type]


def test_temporary_files_are_removed_after_an_error(proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    proj.parquet("t.parquet", big_frame(300))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", big_frame(300, seed=3))
    v2 = proj.add("t.parquet")
    seen: list[list[str]] = []

    def broken(*args: Any, **kw: Any) -> Any:
        seen.append(tmp_files(proj))
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(diff_outofcore, "keyed_core", broken)
    doc = proj.diff(v1, v2, key="id", memory=1)
    assert seen and seen[0]  # the buckets existed while comparing
    assert "rows_failed" in codes(doc) and doc["table"]["rows"] is None
    assert tmp_files(proj) == []


def test_budget_from_the_environment(proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    assert diff_budget.memory_budget(123) == 123
    monkeypatch.setenv(diff_budget.ENV, "512M")
    assert diff_budget.memory_budget() == 512 << 20
    monkeypatch.setenv(diff_budget.ENV, "2GiB")
    assert diff_budget.memory_budget() == 2 << 30
    monkeypatch.setenv(diff_budget.ENV, "1000")
    assert diff_budget.memory_budget() == 1000
    proj.parquet("t.parquet", big_frame(50))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", big_frame(60))
    v2 = proj.add("t.parquet")
    monkeypatch.setenv(diff_budget.ENV, "1")
    assert "stats_from_metadata" in codes(proj.diff(v1, v2, rows=True))
    monkeypatch.delenv(diff_budget.ENV)
    assert "stats_from_metadata" not in codes(proj.diff(v1, v2, rows=True))


def test_row_hashes_do_not_depend_on_the_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_datavc.core import diff_hash

    rng = np.random.default_rng(4)
    n = 5000
    low = pa.chunked_array([pa.array(rng.choice(["x", "yy", None], n // 2)), pa.array(rng.choice(["x", "zz"], n // 2))])
    high = pa.chunked_array([pa.array([None if i % 7 == 0 else f"v{i}-{'w' * (i % 30)}" for i in range(n)])])
    nums = pa.chunked_array([pa.array(rng.normal(size=n))])
    whole = diff_hash.side_hashes([low, high, nums], n)
    monkeypatch.setattr(diff_hash, "ROWS", 333)  # pieces, and the dictionary / word-hash paths of long columns
    assert np.array_equal(diff_hash.side_hashes([low, high, nums], n), whole)
    assert len(np.unique(whole)) > n * 0.99


def test_empty_side_and_no_common_columns(proj: Project) -> None:
    proj.parquet("t.parquet", big_frame(0))
    v1 = proj.add("t.parquet")
    proj.parquet("t.parquet", big_frame(40))
    v2 = proj.add("t.parquet")
    assert same_rows(proj, v1, v2, key="id")["counts"]["added"] == 40
    assert same_rows(proj, v1, v2)["counts"]["added"] == 40
    proj.parquet("t.parquet", pd.DataFrame({"other": [1, 2]}))
    v3 = proj.add("t.parquet")
    mem = proj.diff(v2, v3, rows=True)
    out = proj.diff(v2, v3, rows=True, memory=1)
    assert out["table"]["rows"] is None and mem["table"]["rows"] is None
    assert "no_common_columns" in codes(out) and tmp_files(proj) == []


def test_key_matching_of_keys_in_ascending_runs() -> None:
    from jupyter_datavc.core.diff_rows import match

    # what a hash bucket of a multi-part table holds: a few ascending runs, sparse keys
    ka = np.concatenate([np.arange(0, 3000, 3), 10**9 + np.arange(50), np.arange(3000, 6000, 3)])
    kb = np.concatenate([ka[:700], ka[720:], [10**10, 10**10 + 1]])
    ia, dup_a, dup_b = match(ka, kb)
    where = {int(k): i for i, k in enumerate(ka)}
    assert not len(dup_a) and not len(dup_b)
    assert ia.tolist() == [where.get(int(k), -1) for k in kb]
    ia, dup_a, dup_b = match(np.concatenate([ka, ka[5:7]]), kb)
    assert dup_a.tolist() == [5, 6, len(ka), len(ka) + 1] and not len(dup_b)


def test_duplicate_column_names_and_dictionary_columns(proj: Project) -> None:
    city = pa.array(["a", "b", "a", "c"]).dictionary_encode()
    t1 = pa.table(
        [pa.array([1, 2, 3, 4]), pa.array([1.0, 2.0, 3.0, 4.0]), pa.array([9, 9, 9, 9]), city], ["k", "v", "v", "c"]
    )
    proj.parquet("t.parquet", t1)
    v1 = proj.add("t.parquet")
    t2 = t1.set_column(1, "v", pa.array([1.0, 2.5, 3.0, 4.0]))
    proj.parquet("t.parquet", t2)
    v2 = proj.add("t.parquet")
    rows = same_rows(proj, v1, v2, key="k")
    assert rows["counts"]["changed"] == 1 and rows["columns"] == ["k", "v", "c"]
    assert "duplicate_columns" in codes(proj.diff(v1, v2, rows=True, memory=1))
