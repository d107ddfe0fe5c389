"""Stage 4, training: fit the winning configuration and write the candidate artifact.

collect -> preprocess -> optimize -> fit on the training split -> holdout metrics -> a JSON
artifact in build/ml/candidate.json (gitignored). Training never touches the registry:
`evaluate` judges the candidate and `register`/`promote` put it into models/.
Every run is recorded in MLflow (ml/tracking.py); the artifact names its run.
Seeded end to end: the same data and config give the same parameters and metrics.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ml import collect as collect_stage
from ml import optimize as optimize_stage
from ml import preprocess as preprocess_stage
from ml import tracking
from ml.bins import decile_edges
from ml.build import build_estimator
from ml.report import git_sha, heading, now, write_report
from ml.scores import classification_metrics
from ml.workspace import Workspace
from model_registry import next_version, save_file


@dataclass(frozen=True)
class Trained:
    document: dict
    search: optimize_stage.Search
    collected: collect_stage.Collected


def config_sha256(ws: Workspace) -> str:
    """Fingerprint of everything in ml/config.yaml that changes what gets trained."""
    relevant = {k: ws.config[k] for k in ("model", "split", "optimization")}
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _floats(values) -> list[float]:
    return [float(v) for v in values]


def artifact_document(ws, version, run_id, collected, data, pipeline, search) -> dict:
    import sklearn

    scaler, classifier = pipeline.named_steps["scale"], pipeline.named_steps["classify"]
    classes = [str(c) for c in classifier.classes_]
    probas = pipeline.predict_proba(data.X_test).tolist()
    holdout = classification_metrics(data.y_test, probas, classes)
    return {
        "schema_version": 1,
        "name": ws.config["model"]["name"],
        "version": version,
        "model_type": "multinomial_logistic_regression",
        "created_at": now(),
        "git_sha": git_sha(ws),
        "mlflow_run_id": run_id,
        "features": list(data.dataset.feature_names),
        # The data card's ranges travel with the model: the service refuses input outside them.
        "accepted_ranges": {
            spec["name"]: {"min": spec["min"], "max": spec["max"], "unit": spec["unit"]}
            for spec in preprocess_stage.load_columns(ws)["features"]
        },
        "classes": classes,
        "preprocessing": {
            "type": "standard_scaler",
            "mean": _floats(scaler.mean_),
            "scale": _floats(scaler.scale_),
        },
        "parameters": {
            "coef": [_floats(row) for row in classifier.coef_],
            "intercept": _floats(classifier.intercept_),
        },
        "monitoring": {"bin_edges": decile_edges(data.dataset.feature_names, data.X_train)},
        "metrics": {
            "holdout": holdout,
            "cross_validation": {
                "scoring": search.scoring,
                "folds": search.folds,
                "mean": search.best_score,
            },
        },
        "dataset": {
            "path": ws.rel(ws.base_csv),
            "sha256": collected.sha256,
            "rows": len(data.dataset.y),
            "batches": [
                {"path": s.path, "sha256": s.sha256, "rows": s.rows} for s in collected.sources[1:]
            ],
        },
        "training": {
            "algorithm": f"scikit-learn {sklearn.__version__} LogisticRegression (lbfgs)",
            "params": {**ws.config["model"].get("fixed_params", {}), **search.best_params},
            "seed": ws.config["split"]["seed"],
            "test_size": ws.config["split"]["test_size"],
            "config_sha256": config_sha256(ws),
            "train_rows": len(data.y_train),
            "test_rows": len(data.y_test),
        },
    }


def train(ws: Workspace) -> Trained:
    version = next_version(ws.model_dir)
    # The run starts before the work: an unreachable store stops training at once.
    # A name that tells runs apart in the UI's table: the version it would become, the config
    # it was trained with (its hash) and when, e.g. "v2 config 93df378 2026-12-07 02:06".
    started = now().replace("T", " ")[:16]
    run_name = f"{version} config {config_sha256(ws)[:7]} {started}"
    with tracking.training_run(ws, run_name=run_name) as run:
        collected = collect_stage.collect(ws)
        data = preprocess_stage.preprocess(ws, collected)  # raises on a bad batch
        search = optimize_stage.optimize(ws, data.X_train, data.y_train)
        pipeline = build_estimator(ws, **search.best_params).fit(data.X_train, data.y_train)
        document = artifact_document(
            ws, version, run.info.run_id, collected, data, pipeline, search
        )
        save_file(ws.candidate_path, document)  # checked first: the schema guards the writer too
        y_pred = [str(label) for label in pipeline.predict(data.X_test)]
        tracking.log_training(document, search, data.y_test, y_pred, ws.candidate_path)
    write_report(
        ws,
        "train",
        {
            "candidate": ws.rel(ws.candidate_path),
            "version": document["version"],
            "dataset": collect_stage.summary(collected),
            "search": {"scoring": search.scoring, "folds": search.folds, "trials": search.trials},
            "best_params": search.best_params,
            "holdout": document["metrics"]["holdout"],
        },
    )
    heading("collect")
    collect_stage.print_summary(collected)
    heading("preprocess")
    print(
        f"all {len(data.dataset.y)} rows valid; split {len(data.y_train)} train / "
        f"{len(data.y_test)} holdout (seed {ws.config['split']['seed']})"
    )
    heading("optimize")
    optimize_stage.print_search(search)
    heading("train")
    m = document["metrics"]["holdout"]
    print(f"candidate {document['version']} -> {ws.rel(ws.candidate_path)}")
    print(f"MLflow run {document['mlflow_run_id']} in {tracking.tracking_uri(ws)}")
    print(
        f"holdout accuracy {m['accuracy']:.4f}  macro F1 {m['macro_f1']:.4f}  "
        f"log loss {m['log_loss']:.4f}"
    )
    print("next: `make evaluate` runs the quality gate on this candidate")
    return Trained(document, search, collected)
