"""`python -m ml <stage>`: every MLOps stage as a command (see docs/ml.md).

Exit codes: 0 ok, 1 the quality gate failed, 2 bad data / bad request / broken artifact,
3 the experiment tracking store cannot be reached (ml/tracking.py).
"""

from __future__ import annotations

import argparse
import sys

from ml.registry import RegistryError
from ml.workspace import Workspace
from model_registry import ModelError


def _collect(ws, args):
    from ml.collect import collect, print_summary, summary
    from ml.report import write_report

    collected = collect(ws)
    print_summary(collected)
    write_report(ws, "collect", summary(collected))


def _preprocess(ws, args):
    from ml.collect import collect
    from ml.preprocess import preprocess

    data = preprocess(ws, collect(ws))
    print(
        f"all {len(data.dataset.y)} rows valid: split {len(data.y_train)} train / "
        f"{len(data.y_test)} holdout (seed {ws.config['split']['seed']})"
    )


def _optimize(ws, args):
    from ml.collect import collect
    from ml.optimize import optimize, print_search
    from ml.preprocess import preprocess

    data = preprocess(ws, collect(ws))
    print_search(optimize(ws, data.X_train, data.y_train))


def _train(ws, args):
    from ml.train import train

    train(ws)


def _evaluate(ws, args):
    from ml.evaluate import evaluate, report

    result = evaluate(ws)
    report(ws, result)
    return 0 if result.passed else 1


def _register(ws, args):
    from ml import tracking
    from ml.evaluate import evaluate, report
    from ml.registry import print_index, register

    result = evaluate(ws)
    report(ws, result)
    if not result.passed:
        print("refusing to register a candidate that fails the quality gate")
        return 1
    with tracking.registry_tags(ws):
        version = register(ws.model_dir, ws.candidate_path)
    print(f"registered {version} (archived; `python -m ml promote {version}` serves it)")
    print_index(ws.model_dir)


def _promote(ws, args):
    from ml import tracking
    from ml.registry import print_index, promote

    with tracking.registry_tags(ws):
        promote(ws.model_dir, args.version)
    print(f"promoted {args.version}: the service serves it from its next (re)start")
    print_index(ws.model_dir)


def _rollback(ws, args):
    from ml import tracking
    from ml.registry import print_index, rollback

    with tracking.registry_tags(ws):
        old, new = rollback(ws.model_dir)
    print(f"rolled back {old} -> {new}")
    print_index(ws.model_dir)


def _decommission(ws, args):
    from ml import tracking
    from ml.decommission import decommission
    from ml.registry import print_index

    with tracking.registry_tags(ws):
        decommission(ws.model_dir, args.version, args.reason)
    print(f"retired {args.version}: it stays in the history, the service refuses to load it")
    print_index(ws.model_dir)


def _status(ws, args):
    from ml import mlflow_registry
    from ml.registry import print_index

    print_index(ws.model_dir)
    found = mlflow_registry.differences(ws)  # a TrackingError says which store does not answer
    for difference in found:
        print(f"  DIFFERS: {difference}")
    # A report, not a gate: git's registry is the truth, whatever MLflow's says.
    if found:
        print(f"MLflow's registry differs from the git registry: {mlflow_registry.RESYNC}")
    else:
        print(f"MLflow's registry matches (models:/{ws.config['model']['name']}@champion)")


def _sync_mlflow(ws, args):
    from ml import mlflow_registry

    return 0 if mlflow_registry.sync_and_report(ws) else 3


def _verify(ws, args):
    from ml.registry import print_index, verify

    print_index(ws.model_dir)
    problems = verify(ws.model_dir)
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print("registry OK: every servable version loads" if not problems else "registry BROKEN")
    return 2 if problems else 0


def _retrain(ws, args):
    from ml.retrain import retrain

    return 0 if retrain(ws, force=args.force) else 1


def _experiments(ws, args):
    from ml.experiments import prepare, serve_ui

    return prepare() if args.prepare else serve_ui(ws, args.host, args.port)


def _simulate_drift(ws, args):
    from ml.simulate_drift import simulate_drift

    path = simulate_drift(ws, rows=args.rows, seed=args.seed)
    print(f"wrote {ws.rel(path)}: {args.rows} labelled rows from a shifted distribution")
    print("see it: `python -m ml drift-check` ; learn it: `make retrain`")


def _drift_check(ws, args):
    from ml.monitor import drift_check

    return drift_check(ws, args.csv)


def _export_base(ws, args):
    from ml.export_base import export_base

    export_base(ws)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ml",
        description=__doc__.splitlines()[0],
        epilog="exit codes: 0 ok, 1 quality gate failed, 2 bad data / request / artifact, "
        "3 tracking store unreachable",
    )
    p.add_argument("--root", default=".", help="repository root (default: current directory)")
    sub = p.add_subparsers(dest="stage", required=True, metavar="STAGE")

    def stage(name, handler, help_text):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(handler=handler)
        return s

    stage("export-base", _export_base, "re-export data/wine.csv + DATACARD.md from scikit-learn")
    stage("collect", _collect, "assemble data/wine.csv + data/incoming/*.csv, print the version")
    stage("preprocess", _preprocess, "validate every row (exit 2 naming bad rows) and split")
    stage("optimize", _optimize, "cross-validated hyper-parameter search, every trial printed")
    stage("train", _train, "train a candidate into build/ml/candidate.json (registry untouched)")
    stage("evaluate", _evaluate, "quality gate on the candidate: exit 1 when it fails")
    stage("register", _register, "gate, then add the candidate to the registry, archived")
    stage("promote", _promote, "make VERSION the active model").add_argument("version")
    stage("rollback", _rollback, "re-activate the version the active one replaced")
    d = stage("decommission", _decommission, "retire VERSION: kept in history, never served")
    d.add_argument("version")
    d.add_argument("--reason", default="decommissioned")
    stage("status", _status, "the registry, and where MLflow's model registry differs")
    stage("sync-mlflow", _sync_mlflow, "mirror the registry into MLflow's model registry")
    stage("verify", _verify, "load every non-retired version as the service would (exit 2 if not)")
    r = stage(
        "retrain", _retrain, "collect -> ... -> evaluate -> register -> promote if gate passes"
    )
    r.add_argument(
        "--force", action="store_true", help="train even if data and config are unchanged"
    )
    e = stage("experiments", _experiments, "serve the MLflow UI on the tracking store")
    e.add_argument("--host", default="127.0.0.1", help="default: loopback only")
    e.add_argument("--port", type=int, default=5000)
    e.add_argument("--prepare", action="store_true", help="only install the UI server")
    s = stage("simulate-drift", _simulate_drift, "write a shifted labelled batch to data/incoming")
    s.add_argument("--rows", type=int, default=120)
    s.add_argument("--seed", type=int, default=None)
    c = stage("drift-check", _drift_check, "input-bin shares + PSI of a CSV vs the active model")
    c.add_argument("csv", nargs="?", default=None, help="default: the newest data/incoming batch")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from ml.evaluate import StaleCandidateError
    from ml.preprocess import DataValidationError
    from ml.tracking import TrackingError

    try:
        ws = Workspace.load(args.root)
        return args.handler(ws, args) or 0
    except DataValidationError as exc:
        print(f"REJECTED: {exc}\nnothing downstream ran.", file=sys.stderr)
    except (ModelError, RegistryError, StaleCandidateError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except TrackingError as exc:
        print(
            f"error: {exc}\n(set MLFLOW_TRACKING_URI to a store that answers, or unset it "
            "for the local one in build/mlflow/)",
            file=sys.stderr,
        )
        return 3
    return 2


if __name__ == "__main__":
    sys.exit(main())
