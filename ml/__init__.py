"""The training pipeline of Lifecycle Lab: one module per MLOps stage.

Run a stage with `python -m ml <stage>` (see `python -m ml --help`). This package file imports
nothing on purpose: `ml.drift` and `ml.samples` are used by the load generator
(scripts/locustfile.py, whose container has locust only), so importing `ml` must never pull
in scikit-learn or numpy.
"""
