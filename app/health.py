"""Liveness and readiness — what an orchestrator asks before it sends traffic or restarts.

/healthz answers 200 while the process can serve at all (a failing liveness probe restarts
the container). /readyz answers 503 while this instance should get no new traffic: the model
is not loaded, a drain is under way after SIGTERM, or chaos switched readiness off.
"""

from flask import Blueprint, current_app, jsonify

health_blueprint = Blueprint("health", __name__)


def readiness_problems() -> list[str]:
    state = current_app.extensions["shared_state"]
    problems = []
    if current_app.extensions["model"] is None:
        problems.append(f"model not loaded: {current_app.extensions['model_error']}")
    if state.draining:
        problems.append("draining: shutting down, finishing in-flight requests")
    if state.readiness_off:
        problems.append("readiness switched off by chaos")
    return problems


@health_blueprint.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health_blueprint.get("/readyz")
def readyz():
    problems = readiness_problems()
    if problems:
        return jsonify(status="not_ready", reasons=problems), 503
    return jsonify(status="ready")
