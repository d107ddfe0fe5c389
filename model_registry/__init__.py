"""The model artifact and the model registry: one format, one owner.

A registry is a directory (`models/` here) of JSON files:

    index.json               which version is active; status and history of every version
    wine-classifier-v1.json  one model artifact per version, never overwritten (docs/ml.md)

This package is the only code that reads or writes those files. The service (`app/`) loads
the active model with it; the training pipeline (`ml/`) writes candidates and versions and
changes the index with it (the lifecycle operations, such as promote or rollback, are in
`ml/`). It imports only the standard library and jsonschema, so the service needs no
training library, and training needs no web framework.

    json_schemas/  model.json and index.json: the format (JSON Schema; make validate-ml)
    validation.py  problem(): a document's first error against those schemas, in one line
    status.py      ACTIVE, ARCHIVED, RETIRED (and CANDIDATE, not yet registered)
    artifact.py    Model (predict_proba, bins_of, metadata), load_file, save_file
    index.py       read_index, write_index: the index, checked and written atomically
    versions.py    create_version_file, next_version, load_version, load_active
    location.py    DEFAULT_MODEL_DIR, model_dir_from_env: where the registry is (MODEL_DIR)
    atomic.py      write_text, create_new: crash-safe writes

The public names are re-exported here: `from model_registry import load_active`.
"""

from model_registry.artifact import (
    Model,
    ModelError,
    content_sha256,
    load_file,
    save_file,
)
from model_registry.index import (
    INDEX_FILE,
    empty_index,
    index_problem,
    read_index,
    write_index,
)
from model_registry.location import DEFAULT_MODEL_DIR, model_dir_from_env
from model_registry.status import ACTIVE, ARCHIVED, CANDIDATE, RETIRED, STATUSES
from model_registry.versions import (
    create_version_file,
    load_active,
    load_version,
    next_version,
    unlisted_files,
)

__all__ = [
    "ACTIVE",
    "ARCHIVED",
    "CANDIDATE",
    "DEFAULT_MODEL_DIR",
    "INDEX_FILE",
    "RETIRED",
    "STATUSES",
    "Model",
    "ModelError",
    "content_sha256",
    "create_version_file",
    "empty_index",
    "index_problem",
    "load_active",
    "load_file",
    "load_version",
    "model_dir_from_env",
    "next_version",
    "read_index",
    "save_file",
    "unlisted_files",
    "write_index",
]
