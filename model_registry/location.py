"""Where the registry lives: one answer for the service and the training pipeline.

MODEL_DIR names the registry directory; without it, `models/`, the registry committed in this
repository. The service reads MODEL_DIR through its settings (app/config.py) and takes its
default from here; the pipeline (`ml/`) reads both here. So `MODEL_DIR=/srv/models` points
`make run` and `python -m ml promote` at the same registry.
"""

from __future__ import annotations

import os
from pathlib import Path

from model_registry.artifact import ModelError

DEFAULT_MODEL_DIR = "models"


def model_dir_from_env() -> Path:
    """The registry directory that MODEL_DIR names, or `models`; relative paths stay relative."""
    value = os.environ.get("MODEL_DIR", DEFAULT_MODEL_DIR)
    if not value.strip():
        # An empty value would make the working directory the registry: refuse, as the
        # service's settings do.
        raise ModelError(
            "MODEL_DIR is empty: set it to the model registry's directory, or unset it"
        )
    return Path(value)
