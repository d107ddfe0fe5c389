"""Traffic for Lifecycle Lab with locust (https://locust.io): the mixes that make the
dashboards and alerts move. A mix is a user class of this file, named `<Mix>User`:

    make load MIX=chaos                     # headless, 60 s; CSV stats in build/locust/chaos_*
    locust -f scripts/locustfile.py --host http://127.0.0.1:8000 --headless \\
        --users 10 --spawn-rate 5 --run-time 60s --csv build/locust/normal NormalUser
    make load-ui                            # locust's web UI on :8089: pick a mix, start, watch

* NormalUser replays rows of the training data (data/wine.csv): every training-decile bin
  gets about 10 % of the values and the drift index stays low.
* DriftUser sends the same rows shifted by ml.drift.shift_features (the one definition of
  drifted input, also used by `python -m ml simulate-drift`): the PSI rule and the
  ModelInputDrift alert rise.
* ChaosUser switches the service's error injection on when the test starts (a share of
  --chaos-error-rate of the API requests answer 500) and off when it stops, and mixes
  careless requests (each must get a 4xx, never a 5xx) into its predictions: the 5xx ratio
  and the availability burn-rate alerts rise.
* SlowUser switches the service's latency injection on (--chaos-latency seconds on every API
  request) for the duration of the test: the latency SLO burns, p99 climbs.

Chaos and latency need a service with CHAOS_ENABLED=true (the default outside production).
The 500s that chaos injects count as failures in locust's stats, as any client would see
them; they alone do not make locust exit 1 (an unexpected failure does).
"""

import random
import sys
from pathlib import Path

import requests
from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ml.drift and ml.samples, when run from a copy of the repository

from ml.drift import shift_features  # noqa: E402 - after the path above
from ml.samples import load_rows  # noqa: E402

PREDICT = "/api/v1/predict"
ROWS = load_rows(ROOT / "data" / "wine.csv")
INJECTED = "error injected by chaos"  # the failure message of the 500s chaos is asked for


@events.init_command_line_parser.add_listener
def chaos_options(parser):
    parser.add_argument(
        "--chaos-error-rate", type=float, default=0.3, help="ChaosUser: share of 500s, 0..1"
    )
    parser.add_argument(
        "--chaos-latency", type=float, default=0.5, help="SlowUser: seconds added per request"
    )


class WineClient(HttpUser):
    """What every mix shares: the pace and the rows. Abstract: locust runs no user of it."""

    abstract = True
    wait_time = between(0.05, 0.2)

    def features(self) -> dict[str, float]:
        return random.choice(ROWS)  # traffic, not secrets  # nosec B311


class NormalUser(WineClient):
    @task
    def predict(self):
        self.client.post(PREDICT, json={"features": self.features()})


class DriftUser(NormalUser):
    def features(self) -> dict[str, float]:
        return shift_features(super().features())


class SlowUser(NormalUser):
    """Normal predictions; the slowness is the service's, switched on by the hooks below."""


JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}
# What a careless client sends: (name in the stats, method, path, keyword arguments of the
# request, the 4xx that the service's error contract promises for it).
CARELESS_REQUESTS = [
    ("bad JSON", "POST", PREDICT, {"data": b"{not json", "headers": JSON}, 400),
    ("not JSON", "POST", PREDICT, {"data": b"alcohol=13", "headers": TEXT}, 415),
    ("schema error", "POST", PREDICT, {"json": {"features": {"alcohol": "strong"}}}, 400),
    ("unknown route", "GET", "/api/v1/no-such-route", {}, 404),
]


class ChaosUser(WineClient):
    # Not a NormalUser: a subclass would inherit its task too (locust adds up the tasks of
    # the base classes).
    @task(3)
    def predict(self):
        with self.client.post(
            PREDICT, json={"features": self.features()}, catch_response=True
        ) as response:
            if _injected(response):
                response.failure(INJECTED)  # a failure for the client, and the point of the mix

    @task(1)
    def careless_request(self):
        name, method, path, arguments, status = random.choice(CARELESS_REQUESTS)  # nosec B311
        with self.client.request(
            method, path, name=f"{path} ({name})", catch_response=True, **arguments
        ) as response:
            if response.status_code == status:
                response.success()
            elif _injected(response):  # chaos strikes before the request is even read
                response.failure(INJECTED)
            else:
                response.failure(f"expected a {status}, got {response.status_code}")


def _injected(response) -> bool:
    """A 500 the service made on purpose: its error body (docs/service.md) says so."""
    if response.status_code != 500:
        return False
    try:
        return response.json()["error"]["code"] == "chaos_injected"
    except (ValueError, KeyError, TypeError):
        return False


# The chaos switches: on when a test of the mix starts, off when it stops (also on Ctrl-C).
@events.test_start.add_listener
def chaos_on(environment, **_kwargs):
    options = environment.parsed_options
    if ChaosUser in environment.user_classes:
        _post_chaos(environment.host, "errors", {"rate": options.chaos_error_rate})
    if SlowUser in environment.user_classes:
        _post_chaos(environment.host, "latency", {"seconds": options.chaos_latency})


@events.test_stop.add_listener
def chaos_off(environment, **_kwargs):
    # Only the switch the mix turned on: leave the service as we found it.
    if ChaosUser in environment.user_classes:
        _post_chaos(environment.host, "errors", {"rate": 0})
    if SlowUser in environment.user_classes:
        _post_chaos(environment.host, "latency", {"seconds": 0})


def _post_chaos(host: str, toggle: str, body: dict) -> None:
    url = f"{host}/chaos/{toggle}"
    try:
        answer = requests.post(url, json=body, timeout=5)
    except requests.RequestException as error:  # the service is gone: nothing to switch
        print(f"locust: POST {url} failed: {error}", file=sys.stderr)
        return
    if answer.status_code != 200:
        print(f"locust: POST {url} answered {answer.status_code}; is CHAOS_ENABLED=true?")


@events.quitting.add_listener
def injected_failures_are_no_error(environment, **_kwargs):
    """Exit 0 when chaos' own 500s were the only failures: the run did what it was asked."""
    errors = environment.stats.errors.values()
    if errors and all(str(error.error) == INJECTED for error in errors):
        environment.process_exit_code = 0
