"""gunicorn's logger without its access record: the app writes the access line itself.

Stock gunicorn builds an access record for every request as soon as it is given any logging
configuration, even with `accesslog` unset, and then drops it when no handler takes it.
gunicorn.conf.py gives one (`logconfig_dict`, for JSON error lines), so every request paid for
a record nobody reads: about 230 k instructions, a fifth of all a worker spends on a /healthz
request (measured with `make bench-instructions`). The app's own JSON access line
(app/observability.py) already covers every request, with its request id.
"""

from gunicorn import glogging


class ErrorLogOnly(glogging.Logger):
    """gunicorn's error log as configured; no access record."""

    def access(self, resp, req, environ, request_time) -> None:
        return None
