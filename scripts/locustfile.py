"""Traffic for Lifecycle Lab with locust (https://locust.io): the mixes that make the
dashboards and alerts move. Pick a mix by its user class:

    locust -f scripts/locustfile.py --host http://127.0.0.1:8000 NormalUser   # web UI, :8089
    locust -f scripts/locustfile.py --host http://127.0.0.1:8000 --headless \\
        --users 10 --spawn-rate 5 --run-time 60s --csv build/locust/normal NormalUser

* NormalUser replays rows of the training data (data/wine.csv): every training-decile bin
  gets about 10 % of the values and the drift index stays low.
* DriftUser sends the same rows shifted by ml.drift.shift_features (the one definition of
  drifted input, also used by `python -m ml simulate-drift`): the PSI rule and the
  ModelInputDrift alert rise.
* ChaosUser turns the service's error injection on when the test starts and off when it
  stops, and mixes careless requests (each must get a 4xx, never a 5xx) into its
  predictions: the 5xx ratio and the SLO burn-rate alerts rise. The service needs
  CHAOS_ENABLED=true (the default outside production).
`make load MIX=drift` runs one headless, with its CSV stats under build/locust/.
"""

import csv
import random
import sys
from pathlib import Path

import requests
from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ml.drift, when run from a copy of the repository

from ml.drift import shift_features  # noqa: E402 - after the path above

PREDICT = "/api/v1/predict"
CHAOS_ERROR_RATE = 0.3  # the share of requests the service fails on purpose in the chaos mix


def load_rows(path: Path) -> list[dict[str, float]]:
    """Feature rows of the training CSV (the `label` column dropped)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {name: float(value) for name, value in row.items() if name != "label"}
            for row in csv.DictReader(handle)
        ]


ROWS = load_rows(ROOT / "data" / "wine.csv")


class NormalUser(HttpUser):
    wait_time = between(0.05, 0.2)

    def features(self) -> dict[str, float]:
        return random.choice(ROWS)  # traffic, not secrets  # nosec B311

    @task
    def predict(self):
        self.client.post(PREDICT, json={"features": self.features()})


class DriftUser(NormalUser):
    def features(self) -> dict[str, float]:
        return shift_features(super().features())


class ChaosUser(NormalUser):
    @task(3)
    def predict(self):
        # A 500 here is what the chaos mix is for: locust counts it as a failure.
        self.client.post(PREDICT, json={"features": self.features()})

    @task(1)
    def careless_request(self):
        # A body the schema refuses: a 400 is the right answer, anything else a failure.
        with self.client.post(
            PREDICT, json={"features": {"alcohol": "strong"}}, catch_response=True
        ) as response:
            if response.status_code == 400:
                response.success()
            else:
                response.failure(f"expected a 400, got {response.status_code}")


@events.test_start.add_listener
def chaos_on(environment, **_kwargs):
    if ChaosUser in environment.user_classes:
        _post_chaos(environment.host, CHAOS_ERROR_RATE)


@events.test_stop.add_listener
def chaos_off(environment, **_kwargs):
    if ChaosUser in environment.user_classes:  # leave the service as we found it
        _post_chaos(environment.host, 0)


def _post_chaos(host: str, rate: float) -> None:
    answer = requests.post(f"{host}/chaos/errors", json={"rate": rate}, timeout=5)
    if answer.status_code != 200:
        print(f"locust: POST /chaos/errors answered {answer.status_code}; is CHAOS_ENABLED=true?")
