"""The two apps `make bench` measures this app against — one route each, GET or POST /ping,
answering {"status": "ok"}, run under this app's own gunicorn config (app/gunicorn.conf.py):

* `create_bare_app()`: Flask and nothing else (no metrics, no logs) — the floor.
* `create_exporter_app()`: the same app as a user would instrument it with
  prometheus_flask_exporter, the library one would otherwise pick, following its gunicorn
  recipe: one line, `GunicornInternalPrometheusMetrics(app)`. It counts and times every
  request into PROMETHEUS_MULTIPROC_DIR and serves /metrics, summed over the workers, from
  the same server — as this app does. The recipe asks one thing of the gunicorn config, a
  `child_exit` hook calling prometheus_client's `mark_process_dead`; ours has it.
  (The sibling class GunicornPrometheusMetrics serves /metrics on a second port, started
  from a `when_ready` hook instead: not this service's contract.)

gunicorn builds either through its factory: "scripts.bench_baselines:create_exporter_app()".
"""

from flask import Flask, jsonify

PATH = "/ping"


def create_bare_app() -> Flask:
    app = Flask(__name__)

    @app.route(PATH, methods=["GET", "POST"])
    def ping():
        return jsonify(status="ok")

    return app


def create_exporter_app() -> Flask:
    # Imported here, not above: the bare app stays free of prometheus_client.
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    app = create_bare_app()
    # group_by: label requests by the URL rule, the bounded label this repository's metrics
    # contract asks for (the library's default is the raw path); for /ping they are equal.
    GunicornInternalPrometheusMetrics(app, group_by="url_rule")
    return app
