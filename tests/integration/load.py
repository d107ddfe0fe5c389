"""A small load client for the integration tests: one fresh connection per request, like
most load balancers' health-checked upstream pools, and an exact record of every outcome."""

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Outcome:
    sent: int = 0
    ok: int = 0
    failures: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, detail: str = "") -> None:
        with self.lock:
            self.sent += 1
            if status == 200:
                self.ok += 1
            else:
                self.failures.append((status, detail))


def request(url: str, method: str = "GET", path: str = "/", body=None, timeout: float = 30.0):
    """One request on its own connection; returns (status, parsed JSON or text)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read().decode()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw
    finally:
        conn.close()


class LoadBalancedClient:
    """Sends predictions from several threads until told to stop. Like a load balancer, it
    watches /readyz and sends no new request once the backend reports not ready."""

    def __init__(self, url: str, body: dict, threads: int = 6, max_seconds: float = 60.0):
        self.url, self.body, self.threads = url, body, threads
        self.deadline = time.monotonic() + max_seconds  # a bounded loop, whatever happens
        self.outcome = Outcome()
        self.stop = threading.Event()
        self.saw_not_ready = threading.Event()
        self._workers: list[threading.Thread] = []

    def _send_loop(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                status, reply = request(self.url, "POST", "/api/v1/predict", self.body)
                self.outcome.record(status, str(reply)[:200])
            except OSError as error:
                self.outcome.record(None, repr(error))

    def _watch_readiness(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                status, _ = request(self.url, "GET", "/readyz", timeout=5)
            except OSError:
                status = None
            if status != 200:
                self.saw_not_ready.set()
                self.stop.set()  # the backend left the pool: send nothing new
                return
            time.sleep(0.05)

    def start(self, watch_readiness: bool = True) -> "LoadBalancedClient":
        targets = [self._send_loop] * self.threads
        if watch_readiness:
            targets.append(self._watch_readiness)
        self._workers = [threading.Thread(target=t, daemon=True) for t in targets]
        for worker in self._workers:
            worker.start()
        return self

    def finish(self) -> Outcome:
        self.stop.set()
        for worker in self._workers:
            worker.join(timeout=60)
        return self.outcome
