"""Lifecycle Lab: a small Flask service carried through the DevOps and MLOps lifecycles.

`create_app` is the application factory: it reads the settings, loads the active model and
registers the blueprints. Nothing happens at import time, so tests build as many apps as
they like, each with its own settings.
"""

import logging

from flask import Flask

from app import jsonlog, state
from app.chaos import install_chaos
from app.config import Settings
from app.errors import register_error_handlers
from app.health import health_blueprint
from app.info import info_blueprint
from app.metrics import Metrics, metrics_blueprint
from app.observability import install_request_observer
from app.openapi import openapi_blueprint
from app.predict import ModelMonitor, api_blueprint
from app.requests import JsonRequest, StrictJSONProvider
from app.schemas import RequestValidator, predict_request_schema
from model_registry import ModelError, load_active

log = logging.getLogger("app")


def _load_model(app: Flask, settings: Settings) -> None:
    """Load the registry's active model; without one the app runs but is not ready."""
    ext = app.extensions
    ext["model"], ext["model_error"] = None, ""
    try:
        model = load_active(settings.model_dir)
    except ModelError as error:
        ext["model_error"] = str(error)
        log.error("model not loaded", extra={"reason": str(error), "model_dir": settings.model_dir})
        return
    ext["model"] = model
    ext["predict_validator"] = RequestValidator(predict_request_schema(model.feature_names))
    ext["model_monitor"] = ModelMonitor(ext["metrics"], model)
    ext["metrics"].model_info.labels(model.version).set(1)
    log.info("model loaded", extra={"model": model.name, "model_version": model.version})


def create_app(settings: Settings | None = None, *, shared_state=None) -> Flask:
    settings = settings or Settings.from_env()
    jsonlog.configure(settings.log_level)

    app = Flask(__name__)
    app.json = StrictJSONProvider(app)  # request.get_json() refuses NaN and Infinity...
    app.request_class = JsonRequest  # ...and answers a body that is not JSON with a clear 400
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # a larger body is a 413
    app.extensions["settings"] = settings
    shared = app.extensions["shared_state"] = shared_state or state.current()
    metrics = app.extensions["metrics"] = Metrics(shared)
    metrics.build_info.labels(settings.app_version, settings.git_sha).set(1)
    if settings.git_commit_time is not None:
        metrics.commit_time.labels(settings.git_sha).set(settings.git_commit_time.timestamp())
    _load_model(app, settings)

    # First, so that its hooks run before any other: every request is timed and counted,
    # even one that chaos delays or fails.
    install_request_observer(app)
    register_error_handlers(app)
    if settings.chaos_enabled:
        install_chaos(app)
    for blueprint in (
        health_blueprint,
        info_blueprint,
        metrics_blueprint,
        api_blueprint,
        openapi_blueprint,
    ):
        app.register_blueprint(blueprint)
    if settings.api_docs:
        # Imported only when on: the serving image does not install flask-swagger-ui.
        from app.api_docs import install_api_docs

        install_api_docs(app)
    return app
