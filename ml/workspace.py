"""Where things live. Every stage takes a Workspace, so tests run the pipeline in a temp dir.

Committed: data/ (base set, columns, card, incoming batches), models/ (the registry), ml/config.yaml
The registry is wherever MODEL_DIR points, as for the service (model_registry/location.py).
Not committed (gitignored): build/ml/ (the candidate artifact) and reports/ml/ (run reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from model_registry import model_dir_from_env


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: dict[str, Any]

    @classmethod
    def load(cls, root: str | Path = ".") -> Workspace:
        root = Path(root).resolve()
        with (root / "ml" / "config.yaml").open(encoding="utf-8") as handle:
            return cls(root=root, config=yaml.safe_load(handle))

    def rel(self, path: Path) -> str:
        """A path as students see it: relative to the repository root."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def base_csv(self) -> Path:
        return self.root / self.config["data"]["base"]

    @property
    def incoming_dir(self) -> Path:
        return self.root / self.config["data"]["incoming"]

    @property
    def columns_file(self) -> Path:
        return self.root / self.config["data"]["columns"]

    @property
    def model_dir(self) -> Path:
        """The registry the service serves from: MODEL_DIR, or models/ (model_registry says)."""
        return self.root / model_dir_from_env()

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / "ml"

    @property
    def candidate_path(self) -> Path:
        return self.build_dir / "candidate.json"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports" / "ml"
