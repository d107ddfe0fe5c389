"""Run reports: people read the text on stdout, machines read reports/ml/<stage>.json."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from ml.workspace import Workspace
from model_registry.atomic import write_text


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_sha(ws: Workspace) -> str:
    if os.environ.get("GIT_SHA"):
        return os.environ["GIT_SHA"]
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ws.root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def write_report(ws: Workspace, stage: str, data: dict) -> Path:
    path = ws.reports_dir / f"{stage}.json"
    write_text(path, json.dumps({"stage": stage, "at": now(), **data}, indent=2) + "\n")
    return path


def heading(text: str) -> None:
    print(f"\n== {text} ==")
