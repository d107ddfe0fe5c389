"""GET /docs/ — Swagger UI: the live /openapi.json as a page where every operation can be tried.

flask-swagger-ui ships Swagger UI's files in its wheel and serves them from this blueprint
(/docs/swagger-ui-bundle.js and the rest): no CDN, so the page works offline. "Try it out"
sends its requests to the page's own server: the document names no `servers`, which OpenAPI
reads as "/" on the document's origin — right under any host, port or proxy.

Registered only when API_DOCS is on (by default in development; see docs/service.md#api-docs).
"""

from flask import Flask
from flask_swagger_ui import get_swaggerui_blueprint

from app.openapi import OPENAPI_PATH

DOCS_PATH = "/docs"


def install_api_docs(app: Flask) -> None:
    swagger_ui = get_swaggerui_blueprint(
        DOCS_PATH,
        OPENAPI_PATH,
        config={
            "app_name": "Lifecycle Lab API",
            # Off: otherwise the page asks validator.swagger.io about our document.
            "validatorUrl": None,
        },
    )
    app.register_blueprint(swagger_ui)
