"""GET /docs/: Swagger UI from flask-swagger-ui's own files, on in development only."""

import re
import sys
from pathlib import Path

import flask_swagger_ui
import pytest

from app.config import ConfigError, Settings
from tests.unit.test_metrics import scrape


def test_the_page_loads_local_assets_and_the_live_document(client):
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "text/html" in page.content_type
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/docs/swagger-ui-bundle.js" in sources
    assert all(source.startswith("/docs/") for source in sources), "no CDN: every file is ours"
    assert '"url": "/openapi.json"' in html


def test_assets_are_served_from_the_package(client):
    bundle = client.get("/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert "javascript" in bundle.content_type
    shipped = Path(flask_swagger_ui.__file__).parent / "dist" / "swagger-ui-bundle.js"
    assert bundle.data == shipped.read_bytes()


def test_asset_paths_share_one_route_label(client):
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "index.css", "no-such-file.js"):
        client.get(f"/docs/{asset}")
    routes = {dict(labels).get("route") for name, labels in scrape(client)}
    assert "/docs/<path:path>" in routes
    assert not [route for route in routes - {None} if route.endswith((".js", ".css"))]


@pytest.mark.parametrize("env", [{"APP_ENV": "production"}, {"API_DOCS": "false"}])
def test_off_it_is_a_plain_404(env, make_app):
    client = make_app(api_docs=Settings.from_env(env).api_docs).test_client()
    for path in ("/docs/", "/docs/swagger-ui-bundle.js"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_it_follows_app_env_unless_set():
    assert Settings.from_env({}).api_docs is True
    assert Settings.from_env({"APP_ENV": "staging"}).api_docs is False
    assert Settings.from_env({"APP_ENV": "production"}).api_docs is False
    assert Settings.from_env({"APP_ENV": "production", "API_DOCS": "true"}).api_docs is True


@pytest.mark.parametrize("env", [{"API_DOCS": "true"}, {"APP_ENV": "development"}])
def test_on_without_flask_swagger_ui_the_start_fails_naming_api_docs(env, monkeypatch):
    # None in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "flask_swagger_ui", None)
    with pytest.raises(ConfigError, match=r"API_DOCS.*flask-swagger-ui.*API_DOCS=false"):
        Settings.from_env(env)
    # ...while an environment that does not ask for the page still starts.
    assert Settings.from_env({**env, "API_DOCS": "false"}).api_docs is False
