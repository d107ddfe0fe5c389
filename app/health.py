"""What an orchestrator and a person ask first: is it alive, is it ready, what is running.

/healthz answers 200 while the process can serve at all (a failing liveness probe restarts
the container). /readyz answers 503 while this instance should get no new traffic: the model
is not loaded, a drain is under way after SIGTERM (app/__main__.py), or chaos switched
readiness off. / and /version say which build and which model answer.
"""

from flask import Blueprint, jsonify

from app.state import current_state

health_blueprint = Blueprint("health", __name__)

SERVICE_NAME = "lifecycle-lab"


@health_blueprint.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health_blueprint.get("/readyz")
def readyz():
    problems = readiness_problems()
    if problems:
        return jsonify(status="not_ready", reasons=problems), 503
    return jsonify(status="ready")


def readiness_problems() -> list[str]:
    state = current_state()
    problems = []
    if state.model is None:
        problems.append(f"model not loaded: {state.model_error}")
    if state.switches.draining:
        problems.append("draining: shutting down, finishing in-flight requests")
    if state.switches.readiness_off:
        problems.append("readiness switched off by chaos")
    return problems


@health_blueprint.get("/")
def index():
    state = current_state()
    model = state.model
    return jsonify(
        service=SERVICE_NAME,
        version=state.settings.app_version,
        git_sha=state.settings.git_sha,
        environment=state.settings.app_env,
        model={"name": model.name, "version": model.version} if model else None,
    )


@health_blueprint.get("/version")
def version():
    settings = current_state().settings
    return jsonify(
        version=settings.app_version, git_sha=settings.git_sha, build_date=settings.build_date
    )
