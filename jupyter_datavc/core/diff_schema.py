"""Tables of a diff side and their schemas (diff level 2), from manifest metadata alone.

A side's tabular files form *one table* when they share a format and either are hive-partitioned
(``key=value`` folders), are a single file, or all have the same column names (``part-*`` files).
Otherwise each file is compared as a table of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import tabular
from .diff_json import JSON, one_line
from .diff_sides import Side, partition_types, partition_values
from .manifest import FileEntry


@dataclass
class TableSource:
    """Files of one side read as one table (one file, or the parts of a partitioned table)."""

    side: Side
    fmt: str
    entries: list[FileEntry]
    hive: dict[str, str]  # partition key -> "int64" | "string"
    _schema: list[JSON] | None = field(default=None, repr=False, compare=False)

    @property
    def metas(self) -> list[JSON]:
        return [e.table or {} for e in self.entries]

    @property
    def broken(self) -> list[str]:
        """Files whose table metadata says they could not be read."""
        return [e.path for e in self.entries if not e.table or "error" in e.table or "schema" not in e.table]

    @property
    def rows(self) -> int | None:
        if self.broken:
            return None
        return sum(int(m.get("rows") or 0) for m in self.metas)

    def schema(self) -> list[JSON]:
        """Union of the files' columns in first-seen order, then the partition keys."""
        if self._schema is None:
            self._schema = self._union()
        return [dict(c) for c in self._schema]

    def _union(self) -> list[JSON]:
        cols: dict[str, JSON] = {}
        readable = [m for m in self.metas if "schema" in m]
        for meta in readable:
            seen: set[str] = set()
            for c in meta["schema"]:
                name = str(c["name"])
                if name in seen:
                    continue  # a duplicate column name inside one file: the first one counts
                seen.add(name)
                if name not in cols:
                    cols[name] = {"name": name, "types": [str(c["type"])], "nullable": bool(c["nullable"]), "n": 1}
                    continue
                col = cols[name]
                col["n"] += 1
                col["nullable"] = col["nullable"] or bool(c["nullable"])
                if str(c["type"]) not in col["types"]:
                    col["types"].append(str(c["type"]))
        out = [
            {"name": c["name"], "type": " | ".join(c["types"]), "nullable": c["nullable"] or c["n"] < len(readable)}
            for c in cols.values()
        ]
        out += [{"name": k, "type": t, "nullable": True} for k, t in self.hive.items() if k not in cols]
        return out

    def read(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Each file's table (partition keys as columns), and the files that could not be read, with why."""
        import pyarrow as pa

        parts: dict[str, Any] = {}
        failed: dict[str, str] = {}
        for entry in self.entries:
            try:
                table = self.side.read_table(entry)
            except Exception as err:
                failed[entry.path] = one_line(err)
                continue
            values = partition_values(entry.path)
            for key, typ in self.hive.items():
                if key in table.column_names:
                    continue
                v = values.get(key)
                arrow_type = pa.int64() if typ == "int64" else pa.string()
                scalar = pa.array([int(v) if v is not None and typ == "int64" else v], arrow_type)
                table = table.append_column(key, scalar.take(pa.array([0] * table.num_rows, pa.int32())))
            parts[entry.path] = table
        return parts, failed


def concat(parts: list[Any]) -> Any:
    """One table of the parts (columns missing from a part are null there); None for no parts."""
    import pyarrow as pa

    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="permissive")


def one_table(side: Side) -> TableSource | None:
    """The side as one table, or None when its tabular files are separate tables."""
    tab = side.tabular()
    formats = {tabular.format_of(e.path) for e in tab}
    if not tab or len(formats) != 1:
        return None
    fmt = formats.pop()
    assert fmt is not None
    hive = partition_types([e.path for e in tab]) if side.kind == "dir" else {}
    if side.kind == "file" or len(tab) == 1 or hive:
        return TableSource(side, fmt, tab, hive)
    names = {tuple(sorted(str(c["name"]) for c in e.table["schema"])) for e in tab if e.table and "schema" in e.table}
    return TableSource(side, fmt, tab, hive) if len(names) <= 1 else None


def file_source(side: Side, entry: FileEntry) -> TableSource:
    fmt = tabular.format_of(entry.path)
    assert fmt is not None
    return TableSource(side, fmt, [entry], {})


def schema_diff(before: list[JSON], after: list[JSON]) -> JSON:
    """Columns added, removed, retyped, with changed nullability, and whether their order changed."""
    b = {c["name"]: c for c in reversed(before)}  # reversed: the first of duplicate names wins
    a = {c["name"]: c for c in reversed(after)}
    added = [c for c in after if c["name"] not in b]
    removed = [c for c in before if c["name"] not in a]
    common = [n for n in dict.fromkeys(c["name"] for c in before) if n in a]
    retyped = [
        {"name": n, "before": b[n]["type"], "after": a[n]["type"]} for n in common if b[n]["type"] != a[n]["type"]
    ]
    renulled = [
        {"name": n, "before": bool(b[n]["nullable"]), "after": bool(a[n]["nullable"])}
        for n in common
        if bool(b[n]["nullable"]) != bool(a[n]["nullable"])
    ]
    order_after = [n for n in dict.fromkeys(c["name"] for c in after) if n in b]
    order_changed = common != order_after
    return {
        "changed": bool(added or removed or retyped or renulled or order_changed),
        "before": before,
        "after": after,
        "added": added,
        "removed": removed,
        "type_changed": retyped,
        "nullability_changed": renulled,
        "order_changed": order_changed,
    }
