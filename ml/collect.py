"""Stage 1, data collection: assemble the training set from data/.

The set is the base dataset plus every labelled batch in data/incoming/*.csv (sorted by
name; e.g. rows exported from production and labelled later). Values are kept as the raw
strings: checking them is the next stage's job. The assembled set gets a version, the
sha256 of its rows written canonically (header + rows, columns in data/columns.json's order,
'\\n' line ends) -- for the base file alone that equals the sha256 of data/wine.csv.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ml.workspace import Workspace


@dataclass(frozen=True)
class Record:
    source: str  # file path relative to the repository root
    line: int  # line in that file (the header is line 1)
    values: dict[str, str]  # column -> raw text


@dataclass(frozen=True)
class Source:
    path: str
    sha256: str
    rows: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Collected:
    columns: tuple[str, ...]  # data/columns.json's order: features, then the label
    records: tuple[Record, ...]
    sources: tuple[Source, ...]
    sha256: str  # the dataset version

    @property
    def version(self) -> str:
        return self.sha256[:12]


def column_order(ws: Workspace) -> tuple[str, ...]:
    declared = json.loads(ws.columns_file.read_text(encoding="utf-8"))
    return (*[f["name"] for f in declared["features"]], declared["label"]["column"])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path, ws: Workspace) -> tuple[Source, list[Record]]:
    rel = ws.rel(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        records = [
            Record(rel, reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
            for row in reader
        ]
        columns = tuple(reader.fieldnames or ())
    return Source(rel, file_sha256(path), len(records), columns), records


def batch_paths(ws: Workspace) -> list[Path]:
    return sorted(ws.incoming_dir.glob("*.csv")) if ws.incoming_dir.is_dir() else []


def collect(ws: Workspace) -> Collected:
    columns = column_order(ws)
    sources, records = [], []
    for path in [ws.base_csv, *batch_paths(ws)]:
        source, rows = _read(path, ws)
        sources.append(source)
        records.extend(rows)
    digest = hashlib.sha256((",".join(columns) + "\n").encode())
    for record in records:
        digest.update((",".join(record.values.get(c, "") for c in columns) + "\n").encode())
    return Collected(columns, tuple(records), tuple(sources), digest.hexdigest())


def summary(collected: Collected) -> dict:
    return {
        "dataset_sha256": collected.sha256,
        "dataset_version": collected.version,
        "rows": len(collected.records),
        "sources": [
            {"path": s.path, "sha256": s.sha256, "rows": s.rows} for s in collected.sources
        ],
    }


def print_summary(collected: Collected) -> None:
    print(f"dataset version {collected.version}  ({len(collected.records)} rows)")
    for source in collected.sources:
        print(f"  {source.path:<40} {source.rows:>5} rows  sha256 {source.sha256[:12]}")
