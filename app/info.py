"""What is running: the service, its build and its model."""

from flask import Blueprint, current_app, jsonify

info_blueprint = Blueprint("info", __name__)

SERVICE_NAME = "lifecycle-lab"


@info_blueprint.get("/")
def index():
    settings = current_app.extensions["settings"]
    model = current_app.extensions["model"]
    return jsonify(
        service=SERVICE_NAME,
        version=settings.app_version,
        git_sha=settings.git_sha,
        environment=settings.app_env,
        model={"name": model.name, "version": model.version} if model else None,
    )


@info_blueprint.get("/version")
def version():
    settings = current_app.extensions["settings"]
    return jsonify(
        version=settings.app_version, git_sha=settings.git_sha, build_date=settings.build_date
    )
