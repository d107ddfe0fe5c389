"""Configuration from the environment only (12-factor), validated once at start-up.

A bad value stops the start with a message that names the variable, so a typo in a
Kubernetes ConfigMap or an Ansible env file is caught before the first request.
"""

import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata

from model_registry import DEFAULT_MODEL_DIR

ENVIRONMENTS = ("development", "staging", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A container or VM service must listen on every interface; tests and `make bench` set HOST.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # nosec B104
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot run with."""


def _integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}={value} is out of range (allowed {low}..{high})")
        return value

    return parse


def _boolean(name: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def _choice(choices: tuple[str, ...], *, upper: bool = False) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.upper() if upper else raw.lower()
        if value not in choices:
            raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")
        return value

    return parse


def _text(name: str, raw: str) -> str:
    if not raw.strip():
        raise ConfigError(f"{name} is set but empty")
    return raw.strip()


def _timestamp(name: str, raw: str) -> datetime | None:
    # "unknown" is what the other build values say when the build did not know them.
    if raw.strip() == "unknown":
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:  # a time without its zone names no single instant
        raise ConfigError(f"{name}={raw!r} has no time zone (end it with Z or +hh:mm)")
    return value


def _commit_times(name: str, raw: str) -> tuple[tuple[str, datetime], ...]:
    """`sha=ISO 8601` pairs, space-separated: the commits a deployment brings."""
    commits = []
    for entry in raw.split():
        sha, _, when = entry.partition("=")
        if not sha or not when:
            raise ConfigError(f"{name}: {entry!r} is not sha=ISO 8601 time")
        commits.append((sha, _timestamp(f"{name} ({sha})", when)))
    return tuple((sha, when) for sha, when in commits if when is not None)


def _package_version() -> str:
    try:
        return metadata.version("lifecycle-lab")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


# variable -> (Settings field, parser, default). The single list of what the service reads:
# the Kubernetes and Ansible contract tests check every variable they set is in it.
VARIABLES: dict[str, tuple[str, Callable[[str, str], object], object]] = {
    "APP_ENV": ("app_env", _choice(ENVIRONMENTS), "development"),
    "HOST": ("host", _text, ALL_INTERFACES),
    "PORT": ("port", _integer(1, 65535), 8000),
    "WEB_CONCURRENCY": ("web_concurrency", _integer(1, 64), 2),
    "GUNICORN_THREADS": ("gunicorn_threads", _integer(1, 64), 4),
    "GRACEFUL_TIMEOUT": ("graceful_timeout", _integer(1, 300), 20),
    "DRAIN_SECONDS": ("drain_seconds", _integer(0, 300), 5),
    "MODEL_DIR": ("model_dir", _text, DEFAULT_MODEL_DIR),
    "CHAOS_ENABLED": ("chaos_enabled", _boolean, None),  # default depends on APP_ENV
    "API_DOCS": ("api_docs", _boolean, None),  # default depends on APP_ENV
    "MAX_BODY_BYTES": ("max_body_bytes", _integer(256, 10_485_760), 16_384),
    "LOG_LEVEL": ("log_level", _choice(LOG_LEVELS, upper=True), "INFO"),
    "GIT_SHA": ("git_sha", _text, "unknown"),
    "BUILD_DATE": ("build_date", _text, "unknown"),
    # The commit's own time: with it, Prometheus measures the lead time of each change.
    "GIT_COMMIT_TIME": ("git_commit_time", _timestamp, None),
    # The earlier commits this deployment brings, since the one it replaces (a deploy knows
    # both; DORA's lead time counts every one of them, not only the newest).
    "GIT_CHANGES": ("git_changes", _commit_times, ()),
    "APP_VERSION": ("app_version", _text, None),  # default: the installed package version
    # Every worker's metric files and the shared switches. prometheus_client reads it too,
    # when imported. Unset, `python -m app` makes a private one for the run.
    "PROMETHEUS_MULTIPROC_DIR": ("multiprocess_dir", _text, None),
}


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    host: str = ALL_INTERFACES
    port: int = 8000
    web_concurrency: int = 2
    gunicorn_threads: int = 4
    graceful_timeout: int = 20
    drain_seconds: int = 5
    model_dir: str = DEFAULT_MODEL_DIR
    chaos_enabled: bool = True
    api_docs: bool = True
    max_body_bytes: int = 16_384
    log_level: str = "INFO"
    git_sha: str = "unknown"
    build_date: str = "unknown"
    git_commit_time: datetime | None = None
    git_changes: tuple[tuple[str, datetime], ...] = ()
    app_version: str = "0.0.0+unknown"
    multiprocess_dir: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (field, parse, default) in VARIABLES.items():
            raw = environ.get(name)
            values[field] = default if raw is None else parse(name, raw)
        if values["chaos_enabled"] is None:
            # Fault injection is a demo tool: never on in production unless asked for.
            values["chaos_enabled"] = values["app_env"] != "production"
        if values["api_docs"] is None:
            # A page for people writing clients: development only (why: docs/service.md#api-docs).
            values["api_docs"] = values["app_env"] == "development"
        if values["api_docs"] and importlib.util.find_spec("flask_swagger_ui") is None:
            # Caught here, before gunicorn forks, rather than as an ImportError in each worker.
            raise ConfigError(
                "API_DOCS is on (the default when APP_ENV=development) but flask-swagger-ui "
                "is not installed: install the api-docs dependency group or set API_DOCS=false"
            )
        if values["app_version"] is None:
            values["app_version"] = _package_version()
        return cls(**values)
