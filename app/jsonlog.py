"""JSON log lines: one object per line, easy to grep by request_id and to ship to a log store.

Everything goes through the standard `logging` module: the app's loggers ("app", "app.access",
"app.errors") and gunicorn's own error log (gunicorn.conf.py uses the same formatter). A
field passed with `extra={...}` becomes a key of the line.
"""

import json
import logging
import logging.config
import time

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    # logging's own time formatting, in UTC: "2026-12-03T08:35:06.123Z"
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "event": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    """Send the app's loggers to stdout as JSON lines. Safe to call once per app: dictConfig
    replaces the "app" logger's handler rather than adding a second one."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,  # leave gunicorn's and the libraries' loggers be
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "json",
                }
            },
            "loggers": {"app": {"handlers": ["stdout"], "level": level, "propagate": False}},
        }
    )
