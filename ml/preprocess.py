"""Stage 2, preprocessing: validate every row, then split deterministically.

Every problem is collected (not just the first), each naming file, line and column, so a
bad batch can be fixed in one go. If there is any problem, DataValidationError is raised
and nothing downstream runs. Standardisation is fitted later, on the training split only,
and its parameters travel inside the model artifact.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ml.collect import Collected
from ml.workspace import Workspace


@dataclass(frozen=True)
class Problem:
    source: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}  {self.column}: {self.message}"


class DataValidationError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"data validation failed: {len(problems)} problem(s)\n{shown}{more}")


@dataclass(frozen=True)
class Dataset:
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    X: list[list[float]]
    y: list[str]


@dataclass(frozen=True)
class Split:
    dataset: Dataset
    X_train: list[list[float]]
    y_train: list[str]
    X_test: list[list[float]]
    y_test: list[str]


def load_columns(ws: Workspace) -> dict:
    return json.loads(ws.columns_file.read_text(encoding="utf-8"))


def _header_problems(collected: Collected) -> list[Problem]:
    problems = []
    expected = set(collected.columns)
    for source in collected.sources:
        for column in sorted(expected - set(source.columns)):
            problems.append(Problem(source.path, 1, column, "column missing from the header"))
        for column in sorted(set(source.columns) - expected):
            problems.append(Problem(source.path, 1, column, "unexpected column"))
        if source.rows == 0:
            problems.append(Problem(source.path, 1, "*", "file has no data rows"))
    return problems


def _parse_number(raw: str, spec: dict) -> tuple[float | None, str | None]:
    if raw == "":
        return None, "missing value"
    try:
        value = float(raw)
    except ValueError:
        return None, f"not a number: {raw!r}"
    if not math.isfinite(value):
        return None, f"not a finite number: {raw!r}"
    if not spec["min"] <= value <= spec["max"]:
        return None, f"{raw} outside the accepted range [{spec['min']:g}, {spec['max']:g}]"
    return value, None


def validate(ws: Workspace, collected: Collected) -> Dataset:
    columns = load_columns(ws)
    features, label = columns["features"], columns["label"]
    problems = _header_problems(collected)
    X, y, seen = [], [], {}
    for record in collected.records:
        row, row_ok = [], True
        for spec in features:
            value, error = _parse_number(record.values.get(spec["name"], ""), spec)
            if error:
                problems.append(Problem(record.source, record.line, spec["name"], error))
                row_ok = False
            row.append(value)
        raw_label = record.values.get(label["column"], "")
        if raw_label not in label["classes"]:
            allowed = "|".join(label["classes"])
            message = f"unknown label {raw_label!r} (expected {allowed})"
            problems.append(Problem(record.source, record.line, label["column"], message))
            row_ok = False
        if not row_ok:
            continue
        key = tuple(row)
        if key in seen:
            first, first_label = seen[key]
            kind = "duplicate" if first_label == raw_label else "conflicting label for a duplicate"
            problems.append(Problem(record.source, record.line, "*", f"{kind} of {first}"))
            continue
        seen[key] = (f"{record.source}:{record.line}", raw_label)
        X.append(row)
        y.append(raw_label)
    if problems:
        raise DataValidationError(problems)
    names = tuple(spec["name"] for spec in features)
    return Dataset(names, tuple(label["classes"]), X, y)


def split(ws: Workspace, dataset: Dataset) -> Split:
    """Stratified holdout split, seeded from ml/config.yaml: same data -> same split."""
    from sklearn.model_selection import train_test_split

    cfg = ws.config["split"]
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X,
        dataset.y,
        test_size=cfg["test_size"],
        random_state=cfg["seed"],
        stratify=dataset.y,
    )
    return Split(dataset, X_train, y_train, X_test, y_test)


def preprocess(ws: Workspace, collected: Collected) -> Split:
    return split(ws, validate(ws, collected))
