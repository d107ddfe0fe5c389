"""No sessions: this service is a JSON API with no logins and no cookies.

Flask opens a session for every request, by default a signed cookie: it looks for the
cookie, builds a session object, and at the end decides whether to send one back. Nothing
here ever uses a session, so the factory installs `NoSessions`: every request gets the same
empty, read-only session, no cookie is read and none is ever set. That spares every request
about 8 k instructions (callgrind, in-process: a quarter of what the request id, the metrics
and the access line cost together), and a handler that tries to keep state in
`flask.session` fails at once, with a message that says why, instead of writing a cookie.
"""

from flask.sessions import NullSession, SessionInterface


class NoSession(NullSession):
    """An empty session that refuses every change."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("this service keeps no sessions (see app/sessions.py)")

    # NullSession binds these names to its own _fail; rebind them to ours.
    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class NoSessions(SessionInterface):
    """Flask's session interface for an app that keeps no sessions."""

    null_session_class = NoSession

    def __init__(self) -> None:
        # One for every request: it can hold nothing, so requests cannot share anything.
        self._session = NoSession()

    def open_session(self, app, request) -> NoSession:
        return self._session

    def save_session(self, app, session, response) -> None:
        """Never called: Flask saves no session that `is_null_session` calls null."""
