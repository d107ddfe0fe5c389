"""Lifecycle Lab: a small Flask service carried through the DevOps and MLOps lifecycles.

`create_app` is the application factory: it reads the settings, loads the active model into
the app's state and registers the blueprints. Nothing happens at import time. The server is
`python -m app` (app/__main__.py): gunicorn, with a drain before it stops.

    app/__main__.py       python -m app: starts gunicorn, drains on SIGTERM
    app/gunicorn.conf.py  gunicorn's settings and hooks
    app/config.py         Settings: every environment variable, checked at start-up
    app/state.py          AppState (settings, model, switches) and the switches workers share
    app/observability.py  metrics, request ids, JSON log lines
    app/health.py         /healthz, /readyz, / and /version
    app/api.py            /api/v1 (predict, model), its schemas, the JSON error shape
    app/openapi.py        /openapi.json and /docs
    app/chaos.py          /chaos fault injection (off in production)
"""

import logging

from flask import Flask
from prometheus_client import disable_created_metrics

from app import observability
from app.api import JsonRequest, StrictJSONProvider, api_blueprint, register_error_handlers
from app.chaos import install_chaos
from app.config import Settings
from app.health import health_blueprint
from app.openapi import install_api_docs, openapi_blueprint
from app.state import EXTENSION, AppState

log = logging.getLogger("app")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    observability.configure_logging(settings.log_level)

    app = Flask(__name__)
    app.json = StrictJSONProvider(app)  # request.get_json() refuses NaN and Infinity...
    app.request_class = JsonRequest  # ...and answers a body that is not JSON with a clear 400
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # a larger body is a 413

    state = app.extensions[EXTENSION] = AppState.load(settings)
    if state.model is None:
        log.error("model not loaded", extra={"reason": state.model_error})
    else:
        log.info("model loaded", extra={"model": state.model.name, "version": state.model.version})
    # `*_created` series double the exposition for no panel we draw; multiprocess mode never
    # writes them, so one process should not either.
    disable_created_metrics()
    observability.record_start(state)

    # First, so that its hooks run before any other: every request is timed and counted,
    # even one that chaos delays or fails.
    observability.install_request_observer(app)
    register_error_handlers(app)
    if settings.chaos_enabled:
        install_chaos(app)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(observability.metrics_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_blueprint(openapi_blueprint)
    if settings.api_docs:
        install_api_docs(app)
    return app
