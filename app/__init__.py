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
from app.health import register_health_routes
from app.info import info_blueprint
from app.metrics import Metrics, metrics_blueprint
from app.model import ModelError, load_active
from app.observability import install_request_observer
from app.openapi import openapi_blueprint
from app.predict import ModelMonitor, api_blueprint
from app.schemas import RequestValidator, predict_request_schema
from app.sessions import NoSessions

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
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.session_interface = NoSessions()  # a JSON API: no cookies, no sessions
    app.extensions["settings"] = settings
    app.extensions["shared_state"] = shared_state or state.current()
    metrics = app.extensions["metrics"] = Metrics()
    metrics.build_info.labels(settings.app_version, settings.git_sha).set(1)
    _load_model(app, settings)

    register_error_handlers(app)
    if settings.chaos_enabled:
        install_chaos(app)  # before the API blueprint is registered: it hooks into it
    register_health_routes(app)
    for blueprint in (info_blueprint, metrics_blueprint, api_blueprint):
        app.register_blueprint(blueprint)
    app.register_blueprint(openapi_blueprint)
    install_request_observer(app)  # outermost: request id and metrics cover everything
    return app
