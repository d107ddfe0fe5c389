"""The benchmark's baseline: a bare one-route Flask app, nothing else (no metrics, no logs)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/bare", methods=["GET", "POST"])
def bare():
    return jsonify(status="ok")
