"""Fault injection for demos: added latency, an error rate, readiness off.

Registered only when CHAOS_ENABLED is true (off by default in production), so otherwise
every /chaos URL is a plain 404. The toggles are switches shared by every worker
(app/state.py), so one call changes the behaviour of all of them. Faults hit the API routes
only: probes and /metrics keep telling the truth about the incident.
"""

import random
import time

from flask import Blueprint, Flask, jsonify, request

from app.api import ApiError, api_blueprint, json_object
from app.state import current_state

chaos_blueprint = Blueprint("chaos", __name__, url_prefix="/chaos")

MAX_LATENCY_SECONDS = 10.0  # stays below gunicorn's worker timeout
_random = random.Random()  # noqa: S311 - picking which request fails, not cryptography


def _switches():
    return current_state().switches


def _number(body: dict, field: str, low: float, high: float) -> float:
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"{field}: must be a number", field=field)
    if not low <= value <= high:
        raise ApiError(400, f"{field}: must be between {low} and {high}", field=field)
    return float(value)


@chaos_blueprint.get("")
def show():
    return jsonify(_switches().chaos_view())


@chaos_blueprint.post("/latency")
def set_latency():
    seconds = _number(json_object(), "seconds", 0.0, MAX_LATENCY_SECONDS)
    _switches().set_chaos(latency_seconds=seconds)
    return jsonify(_switches().chaos_view())


@chaos_blueprint.post("/errors")
def set_errors():
    rate = _number(json_object(), "rate", 0.0, 1.0)
    _switches().set_chaos(error_rate=rate)
    return jsonify(_switches().chaos_view())


@chaos_blueprint.post("/readiness")
def set_readiness():
    ready = json_object().get("ready")
    if not isinstance(ready, bool):
        raise ApiError(400, "ready: must be true or false", field="ready")
    _switches().set_chaos(readiness_off=not ready)
    return jsonify(_switches().chaos_view())


@chaos_blueprint.delete("")
def reset():
    _switches().reset_chaos()
    return jsonify(_switches().chaos_view())


def _inject_faults():
    if request.blueprint != api_blueprint.name:
        return
    switches = _switches()
    if switches.latency_seconds > 0:
        time.sleep(switches.latency_seconds)
    if switches.error_rate > 0 and _random.random() < switches.error_rate:
        raise ApiError(500, "error injected by chaos", code="chaos_injected")


def install_chaos(app: Flask) -> None:
    app.register_blueprint(chaos_blueprint)
    # A hook of this app, not of the API blueprint: the blueprint object is shared by every
    # app made in the process, and only an app made with chaos enabled may inject faults.
    app.before_request(_inject_faults)
