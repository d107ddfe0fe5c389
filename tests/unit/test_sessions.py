"""The service keeps no sessions: no cookie is read or set, and a write fails clearly."""

import flask
import pytest
from flask.sessions import SecureCookieSessionInterface


@pytest.fixture
def signed_cookie(app):
    """A session cookie that Flask's default interface would accept: signed with the app's
    key (an operator could set one) and holding a user."""
    app.secret_key = "an operator set one"  # noqa: S105 - a test key, signs nothing real
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps({"user": "admin"})


def test_a_valid_session_cookie_is_not_read(app, signed_cookie):
    with app.test_request_context("/", headers={"Cookie": f"session={signed_cookie}"}):
        assert dict(flask.session) == {}


def test_no_response_sets_or_varies_on_a_cookie(app, client, signed_cookie):
    client.set_cookie("session", signed_cookie)
    for path in ("/healthz", "/readyz", "/", "/version", "/metrics", "/api/v1/model"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "Vary" not in response.headers, path  # Flask adds Vary: Cookie on access


def test_writing_to_the_session_fails_and_says_why(app):
    with app.test_request_context("/"):
        for write in (
            lambda s: s.__setitem__("user", "admin"),
            lambda s: s.update(user="admin"),
            lambda s: s.setdefault("user", "admin"),
            lambda s: s.pop("user", None),
            lambda s: s.clear(),
        ):
            with pytest.raises(RuntimeError, match="keeps no sessions"):
                write(flask.session)
        assert dict(flask.session) == {}
