"""Stages 7 and 10: registration, promote/rollback, decommissioning, and refusing bad artifacts."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import model_registry.atomic
from ml.__main__ import main
from ml.decommission import decommission
from ml.registry import RegistryError, promote, register, rollback, verify
from model_registry import ModelError, content_sha256, load_active, load_version, read_index
from model_registry.atomic import create_new
from tests.helpers import ROOT
from tests.unit.test_ml_support import make_workspace


def add_version(ws, version: str) -> None:
    """Register a copy of v1 under a new version number (fast: no training needed)."""
    document = json.loads((ws.model_dir / "wine-classifier-v1.json").read_text())
    document["version"] = version
    ws.candidate_path.parent.mkdir(parents=True, exist_ok=True)
    ws.candidate_path.write_text(json.dumps(document))
    assert register(ws.model_dir, ws.candidate_path) == version


def statuses(ws) -> dict:
    return {v: e["status"] for v, e in read_index(ws.model_dir)["versions"].items()}


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path)


def test_register_adds_an_archived_version_without_touching_the_active_one(ws):
    add_version(ws, "v2")
    assert statuses(ws) == {"v1": "active", "v2": "archived"}
    assert load_active(ws.model_dir).version == "v1"
    assert load_version(ws.model_dir, "v2").status == "archived"
    assert verify(ws.model_dir) == []


def test_a_version_is_never_overwritten(ws):
    add_version(ws, "v2")
    before = (ws.model_dir / "wine-classifier-v2.json").read_bytes()
    with pytest.raises(RegistryError, match="already registered"):
        register(ws.model_dir, ws.candidate_path)
    stray = json.loads(ws.candidate_path.read_text())
    stray["version"] = "v3"
    (ws.model_dir / "wine-classifier-v3.json").write_text("{}")  # a file nobody registered
    ws.candidate_path.write_text(json.dumps(stray))
    with pytest.raises(RegistryError, match="exists already; not overwriting"):
        register(ws.model_dir, ws.candidate_path)
    assert (ws.model_dir / "wine-classifier-v2.json").read_bytes() == before
    assert "v3" not in statuses(ws)
    with pytest.raises(FileExistsError):
        create_new(ws.model_dir / "wine-classifier-v2.json", "x")


def test_promote_and_rollback_walk_back_through_the_history(ws):
    add_version(ws, "v2")
    promote(ws.model_dir, "v2")
    add_version(ws, "v3")
    promote(ws.model_dir, "v3")
    assert statuses(ws) == {"v1": "archived", "v2": "archived", "v3": "active"}
    assert rollback(ws.model_dir) == ("v3", "v2")
    assert load_active(ws.model_dir).version == "v2"
    v3_events = [e["event"] for e in read_index(ws.model_dir)["versions"]["v3"]["history"]]
    assert v3_events == ["registered", "promoted", "rolled_back_from"]
    assert rollback(ws.model_dir) == ("v2", "v1")
    assert load_active(ws.model_dir).version == "v1"
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        rollback(ws.model_dir)


def test_decommissioned_version_is_kept_in_history_but_never_served(ws, capsys):
    add_version(ws, "v2")
    assert main(["--root", str(ws.root), "decommission", "v2", "--reason", "leaks"]) == 0
    entry = read_index(ws.model_dir)["versions"]["v2"]
    assert entry["status"] == "retired"
    assert [e["event"] for e in entry["history"]] == ["registered", "retired"]
    assert (ws.model_dir / entry["file"]).exists()  # the audit trail stays
    with pytest.raises(ModelError, match="'v2' is retired"):
        load_version(ws.model_dir, "v2")
    with pytest.raises(RegistryError, match="retired"):
        promote(ws.model_dir, "v2")
    assert main(["--root", str(ws.root), "promote", "v2"]) == 2
    assert "cannot be promoted" in capsys.readouterr().err


def test_a_retired_version_named_active_is_refused_by_the_service(ws):
    index = read_index(ws.model_dir)
    index["versions"]["v1"]["status"] = "retired"  # a hand-edited index
    (ws.model_dir / "index.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match="retired"):
        load_active(ws.model_dir)


def test_the_active_version_cannot_be_decommissioned(ws):
    with pytest.raises(RegistryError, match="is active; promote or roll back"):
        decommission(ws.model_dir, "v1")


def test_rollback_refuses_to_bring_back_a_retired_version(ws):
    add_version(ws, "v2")
    promote(ws.model_dir, "v2")
    promote(ws.model_dir, "v1")
    promote(ws.model_dir, "v2")
    decommission(ws.model_dir, "v1")
    with pytest.raises(RegistryError, match="retired"):
        rollback(ws.model_dir)
    assert load_active(ws.model_dir).version == "v2"


def artifact(ws):
    return ws.model_dir / "wine-classifier-v1.json"


def rehash(ws, document) -> None:
    """Write a changed artifact *and* record its hash, so only the schema can object."""
    artifact(ws).write_text(json.dumps(document))
    index = read_index(ws.model_dir)
    index["versions"]["v1"]["sha256"] = content_sha256(document)
    (ws.model_dir / "index.json").write_text(json.dumps(index))


def test_a_corrupted_artifact_is_refused(ws):
    document = json.loads(artifact(ws).read_text())
    document["parameters"]["intercept"][0] += 1.0  # still valid JSON, still schema-valid
    artifact(ws).write_text(json.dumps(document, indent=2))
    with pytest.raises(ModelError, match="is corrupt: its content hash does not match"):
        load_active(ws.model_dir)


def test_a_truncated_artifact_is_refused(ws):
    text = artifact(ws).read_text()
    artifact(ws).write_text(text[: len(text) // 2])
    with pytest.raises(ModelError, match=r"not valid JSON \(truncated or corrupt\?\)"):
        load_active(ws.model_dir)
    assert verify(ws.model_dir)  # `make validate-ml` reports it too


def test_a_schema_invalid_artifact_is_refused(ws):
    document = json.loads(artifact(ws).read_text())
    del document["monitoring"]
    rehash(ws, document)
    with pytest.raises(ModelError, match="'monitoring' is a required property"):
        load_active(ws.model_dir)


def test_an_artifact_with_mismatched_shapes_is_refused(ws):
    document = json.loads(artifact(ws).read_text())
    document["parameters"]["coef"][0].pop()
    rehash(ws, document)
    with pytest.raises(ModelError, match="at 'parameters/coef': sizes must match 13 features"):
        load_active(ws.model_dir)


def test_a_missing_artifact_and_a_broken_index_are_clear_errors(ws):
    artifact(ws).unlink()
    with pytest.raises(ModelError, match="model artifact not found"):
        load_active(ws.model_dir)
    (ws.model_dir / "index.json").write_text('{"schema_version": 1, "active": "latest"}')
    with pytest.raises(ModelError, match=r"index .* is invalid"):
        load_active(ws.model_dir)


def test_a_failed_index_write_leaves_the_old_index_and_no_temp_file(ws, monkeypatch):
    add_version(ws, "v2")
    before = (ws.model_dir / "index.json").read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(model_registry.atomic.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        promote(ws.model_dir, "v2")
    monkeypatch.undo()
    assert (ws.model_dir / "index.json").read_bytes() == before
    assert sorted(p.name for p in ws.model_dir.iterdir() if p.name.startswith(".")) == []
    assert load_active(ws.model_dir).version == "v1"


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    def hang(fd):  # the new index is half on its way to disk when the process dies
        print("writing", flush=True)
        time.sleep(60)
    os.fsync = hang
    from ml.registry import promote
    promote(Path(sys.argv[1]), "v2")
    """
)


def test_a_writer_killed_mid_write_leaves_a_valid_index(ws):
    add_version(ws, "v2")
    before = (ws.model_dir / "index.json").read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(ws.model_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert (ws.model_dir / "index.json").read_bytes() == before
    assert load_active(ws.model_dir).version == "v1"
    assert verify(ws.model_dir) == []  # a leftover temp file is not mistaken for a model


def test_the_service_serves_the_promoted_version_and_refuses_a_retired_one(ws):
    from app import create_app
    from app.config import Settings

    def served():
        settings = Settings.from_env({"MODEL_DIR": str(ws.model_dir), "APP_ENV": "development"})
        client = create_app(settings).test_client()
        return client.get("/api/v1/model"), client.get("/readyz")

    add_version(ws, "v2")
    promote(ws.model_dir, "v2")
    model, ready = served()
    assert model.status_code == 200 and model.get_json()["version"] == "v2"
    assert ready.status_code == 200

    index = read_index(ws.model_dir)
    index["versions"]["v2"]["status"] = "retired"  # as if retired behind the tool's back
    (ws.model_dir / "index.json").write_text(json.dumps(index))
    model, ready = served()
    assert model.status_code == 503
    assert ready.status_code == 503
    assert "retired" in model.get_json()["error"]["message"]


def test_atomic_writes_get_the_mode_of_a_plain_file(tmp_path):
    import os

    from model_registry.atomic import create_new, write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "replaced.json", "{}")
        create_new(tmp_path / "created.json", "{}")
    finally:
        os.umask(old)
    for name in ("replaced.json", "created.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
