"""One model artifact: a JSON file checked against json_schemas/model.json; a model to predict.

Pure Python plus jsonschema on purpose: the serving image carries no numpy or scikit-learn.
Every load is checked, so a missing, truncated, corrupted or schema-invalid file is refused
with a message that says what is wrong; every save is checked too, so the pipeline cannot
write a file the service would refuse.

The model is a multinomial logistic regression on standardised features:
    z = (x - mean) / scale;  logit_k = coef_k . z + intercept_k;  p = softmax(logit)
Loading folds the scaler into the weights once (w = coef / scale, b = intercept - w . mean),
so a prediction is 13 x 3 multiply-adds and a softmax.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_registry import validation
from model_registry.atomic import write_text
from model_registry.status import ACTIVE, CANDIDATE


class ModelError(Exception):
    """A model artifact or the registry index is missing, unreadable or invalid.

    The message is meant for a human (logs, /readyz, the `python -m ml` error line).
    """


def content_sha256(document: dict[str, Any]) -> str:
    """Hash of the artifact's content, independent of indentation and line endings."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    document: dict[str, Any] = field(repr=False, compare=False)
    status: str = ACTIVE
    # Precomputed at construction (see module docstring).
    _weights: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)
    _biases: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _edges: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        doc = self.document
        mean, scale = doc["preprocessing"]["mean"], doc["preprocessing"]["scale"]
        coef, intercept = doc["parameters"]["coef"], doc["parameters"]["intercept"]
        weights = tuple(tuple(c / s for c, s in zip(row, scale, strict=True)) for row in coef)
        biases = tuple(
            b - math.fsum(w * m for w, m in zip(row, mean, strict=True))
            for row, b in zip(weights, intercept, strict=True)
        )
        edges = tuple(tuple(doc["monitoring"]["bin_edges"][name]) for name in self.feature_names)
        object.__setattr__(self, "_weights", weights)
        object.__setattr__(self, "_biases", biases)
        object.__setattr__(self, "_edges", edges)

    @classmethod
    def from_document(cls, document: dict[str, Any], status: str) -> Model:
        """Build a model from an artifact dict; raises ModelError when it is not valid."""
        problem = validation.problem(validation.MODEL_SCHEMA, document)
        if problem is None:
            problem = _shape_problem(document)
        if problem:
            raise ModelError(f"does not match the model schema {problem}")
        return cls(
            name=document["name"],
            version=document["version"],
            feature_names=tuple(document["features"]),
            classes=tuple(document["classes"]),
            document=document,
            status=status,
        )

    def predict_proba(self, values: Sequence[float]) -> list[float]:
        """Class probabilities (in `classes` order) for values in `feature_names` order."""
        if len(values) != len(self.feature_names):
            raise ValueError(
                f"expected {len(self.feature_names)} feature values, got {len(values)}"
            )
        # map(mul) instead of a generator: this runs on every request (lengths checked above).
        logits = [
            bias + sum(map(operator.mul, row, values))
            for row, bias in zip(self._weights, self._biases, strict=True)
        ]
        if not all(math.isfinite(logit) for logit in logits):
            raise ValueError("feature values too large or not finite for this model")
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def bin_of(self, feature_index: int, value: float) -> int:
        """Training-decile bin (0..9) of a value: how many of the 9 inner edges are <= value."""
        return bisect.bisect_right(self._edges[feature_index], value)

    def bins_of(self, values: Sequence[float]) -> list[int]:
        """`bin_of` for every feature at once (values in `feature_names` order)."""
        return list(map(bisect.bisect_right, self._edges, values))

    @property
    def accepted_ranges(self) -> dict[str, dict[str, Any]]:
        """Per feature name, {"min", "max", "unit"}: what a real measurement can be (the data
        card's accepted range). Empty for a model trained before models recorded it."""
        return self.document.get("accepted_ranges", {})

    def metadata(self) -> dict[str, Any]:
        doc = self.document
        return {
            "name": self.name,
            "version": self.version,
            "status": self.status,
            "model_type": doc["model_type"],
            "created_at": doc["created_at"],
            "git_sha": doc["git_sha"],
            "features": list(self.feature_names),
            "classes": list(self.classes),
            "metrics": doc["metrics"],
            "dataset": doc["dataset"],
            "training": doc["training"],
        }


def _shape_problem(doc: dict[str, Any]) -> str | None:
    """What JSON Schema cannot say: the arrays must agree with each other."""
    n_features, n_classes = len(doc["features"]), len(doc["classes"])
    checks = {
        "preprocessing/mean": len(doc["preprocessing"]["mean"]) == n_features,
        "preprocessing/scale": len(doc["preprocessing"]["scale"]) == n_features,
        "parameters/coef": len(doc["parameters"]["coef"]) == n_classes
        and all(len(row) == n_features for row in doc["parameters"]["coef"]),
        "parameters/intercept": len(doc["parameters"]["intercept"]) == n_classes,
        "monitoring/bin_edges": sorted(doc["monitoring"]["bin_edges"]) == sorted(doc["features"])
        and all(edges == sorted(edges) for edges in doc["monitoring"]["bin_edges"].values()),
    }
    for where, ok in checks.items():
        if not ok:
            return (
                f"at '{where}': sizes must match {n_features} features x {n_classes} classes "
                "(and bin edges must be sorted, one list per feature)"
            )
    return None


def read_json(path: Path, what: str) -> Any:
    """Parse a registry file; every way it can fail becomes a ModelError naming `what`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ModelError(f"{what} cannot be read: {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(
            f"{what} is not valid JSON (truncated or corrupt?): {path}: {exc}"
        ) from None


def to_json(document: dict[str, Any]) -> str:
    """The artifact as it is stored, after checking it: never write what a load would refuse."""
    Model.from_document(document, status=CANDIDATE)
    return json.dumps(document, indent=2) + "\n"


def save_file(path: str | Path, document: dict[str, Any]) -> None:
    """Write one artifact file atomically, outside the registry (the pipeline's candidate)."""
    write_text(Path(path), to_json(document))


def load_file(path: str | Path, status: str, expected_sha256: str | None = None) -> Model:
    """Load one artifact file (no registry check); used for candidates and by the loaders."""
    path = Path(path)
    document = read_json(path, "model artifact")
    if not isinstance(document, dict):
        raise ModelError(f"model artifact {path} does not match the model schema: not an object")
    if expected_sha256 and content_sha256(document) != expected_sha256:
        raise ModelError(
            f"model artifact {path} is corrupt: its content hash does not match the one "
            "recorded in the registry index"
        )
    try:
        return Model.from_document(document, status=status)
    except ModelError as exc:
        raise ModelError(f"model artifact {path} {exc}") from None
