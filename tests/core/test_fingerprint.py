"""Logical table fingerprints: equal for the same data in any encoding, different for other data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_datavc.core import tabular
from jupyter_datavc.core.fingerprint import file_fingerprint, fingerprint_batches, table_fingerprint


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 5000
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "price": np.where(rng.random(n) < 0.05, np.nan, rng.random(n) * 100),
            "city": rng.choice(["Berlin", "Paris", "", "Zürich"], n),
            "flag": rng.random(n) < 0.5,
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
        }
    )


def test_same_data_in_many_encodings(tmp_path: Path, frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame)
    expected = table_fingerprint(frame)
    writers = {
        "snappy": lambda p: pq.write_table(table, p, compression="snappy"),
        "gzip-small-groups": lambda p: pq.write_table(table, p, compression="gzip", row_group_size=333),
        "zstd-no-dictionary": lambda p: pq.write_table(table, p, compression="zstd", use_dictionary=False),
        "none-v1-us": lambda p: pq.write_table(table, p, compression="none", version="1.0", coerce_timestamps="us"),
        "datavc": lambda p: tabular.write_parquet(table, p),
        "pandas": lambda p: frame.to_parquet(p, compression="brotli"),
        "no-pandas-metadata": lambda p: pq.write_table(table.replace_schema_metadata(None), p),
    }
    for name, write in writers.items():
        path = tmp_path / f"{name}.parquet"
        write(path)
        assert file_fingerprint(path, "parquet") == expected, name
    feather.write_feather(table, tmp_path / "t.feather", compression="lz4")
    assert file_fingerprint(tmp_path / "t.feather", "arrow") == expected


def test_string_and_dictionary_types_do_not_matter(frame: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    col = table.column("city")
    variants = [
        table.set_column(2, "city", col.cast(pa.large_string())),
        table.set_column(2, "city", col.dictionary_encode()),
        table.set_column(2, "city", col.cast(pa.string_view())),
        pa.Table.from_batches(table.to_batches(max_chunksize=17)),
    ]
    assert {table_fingerprint(t) for t in variants} == {table_fingerprint(table)}


def test_nan_and_null_are_both_missing_and_negative_zero_is_zero() -> None:
    a = pa.table({"x": pa.array([1.0, None, 0.0])})
    b = pa.table({"x": pa.array([1.0, float("nan"), -0.0])})
    assert table_fingerprint(a) == table_fingerprint(b)


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.iloc[::-1].reset_index(drop=True),  # row order
        lambda df: df.rename(columns={"price": "cost"}),  # a name
        lambda df: df[["price", "id", "city", "flag", "when"]],  # column order
        lambda df: df.assign(id=df.id.astype("int32")),  # a type
        lambda df: df.assign(price=df.price.where(df.id != 7, 1.5)),  # one value
        lambda df: df.assign(city=df.city.where(df.id != 9, "Berlin ")),  # one string byte
        lambda df: df.iloc[:-1],  # one row fewer
        lambda df: df.assign(when=df.when + pd.Timedelta(1, "ns")),  # sub-microsecond precision
    ],
)
def test_other_data_has_another_fingerprint(frame: pd.DataFrame, change) -> None:
    assert table_fingerprint(change(frame)) != table_fingerprint(frame)


def test_string_boundaries_matter() -> None:
    a = pa.table({"s": ["ab", "c"]})
    b = pa.table({"s": ["a", "bc"]})
    assert table_fingerprint(a) != table_fingerprint(b)


def test_nested_decimal_and_interval_columns() -> None:
    import decimal

    t = pa.table(
        {
            "l": pa.array([[1, 2], None, []], pa.list_(pa.int64())),
            "s": pa.array([{"a": 1}, {"a": 2}, None], pa.struct([("a", pa.int64())])),
            "d": pa.array([decimal.Decimal("1.50"), None, decimal.Decimal("2.00")], pa.decimal128(5, 2)),
            "i": pa.array([(1, 2, 3), None, (0, 0, 0)], pa.month_day_nano_interval()),
        }
    )
    fp = table_fingerprint(t)
    assert fp.startswith("v1:") and fp == table_fingerprint(pa.Table.from_batches(t.to_batches(max_chunksize=1)))
    changed = t.set_column(0, "l", pa.array([[1, 2], None, [3]], pa.list_(pa.int64())))
    assert table_fingerprint(changed) != fp


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=40),
    ints=st.integers(min_value=1, max_value=50),
)
def test_batch_boundaries_never_matter(values: list[str | None], ints: int) -> None:
    table = pa.table({"s": pa.array(values, pa.string()), "n": pa.array(range(len(values)), pa.int64())})
    whole = fingerprint_batches(table.schema, table.to_batches())
    assert fingerprint_batches(table.schema, table.to_batches(max_chunksize=ints)) == whole
