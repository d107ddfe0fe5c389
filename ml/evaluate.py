"""Stage 6, testing: score the candidate as the service would, and apply the quality gate.

The candidate is loaded with model_registry (the serving code, not scikit-learn) and scored
on the holdout split of the current data. The gate fails when
  - a metric is under its threshold (ml/config.yaml gate.thresholds), or
  - a metric is worse than the active model's on the same holdout by more than
    gate.regression_tolerance (the active model may have seen some of these rows in
    training, which only makes this check stricter), or
  - the behavioural test fails: predictions must not flip when every feature is nudged by
    gate.perturbation (relative), or
  - the served model does not reproduce the accuracy recorded at training time.
The gate's checks, its verdict and its reports join the candidate's MLflow run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml import collect as collect_stage
from ml import preprocess as preprocess_stage
from ml import tracking
from ml.report import write_report
from ml.scores import classification_metrics, predicted
from ml.workspace import Workspace
from model_registry import CANDIDATE, Model, ModelError, load_active, load_file
from model_registry.atomic import write_text


class StaleCandidateError(Exception):
    pass


@dataclass
class GateResult:
    candidate: str
    metrics: dict
    run_id: str | None = None  # the candidate's MLflow run
    active_version: str | None = None
    active_metrics: dict | None = None
    invariance: float = 0.0
    checks: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check["passed"] for check in self.checks)

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append({"check": name, "passed": passed, "detail": detail})


def score(model: Model, X: list[list[float]], y: list[str]) -> dict:
    return classification_metrics(y, [model.predict_proba(row) for row in X], model.classes)


def perturbation_invariance(model: Model, X: list[list[float]], relative: float) -> float:
    """Share of rows whose predicted class stays the same under a tiny +/- nudge."""
    base = predicted([model.predict_proba(row) for row in X], model.classes)
    stable = 0
    for row, label in zip(X, base, strict=True):
        nudged = [
            predicted(
                [model.predict_proba([v * (1 + sign * relative) for v in row])], model.classes
            )[0]
            for sign in (1, -1)
        ]
        stable += all(n == label for n in nudged)
    return stable / len(X)


def evaluate(ws: Workspace) -> GateResult:
    if not ws.candidate_path.exists():
        raise FileNotFoundError(
            f"no candidate at {ws.rel(ws.candidate_path)}: run `make train` first"
        )
    candidate = load_file(ws.candidate_path, status=CANDIDATE)
    collected = collect_stage.collect(ws)
    trained_on = candidate.document["dataset"]["sha256"]
    if trained_on != collected.sha256:
        raise StaleCandidateError(
            f"the candidate was trained on dataset {trained_on[:12]}, but the data is now "
            f"{collected.version}: run `make train` again"
        )
    data = preprocess_stage.preprocess(ws, collected)
    gate = ws.config["gate"]
    result = GateResult(
        candidate.version,
        score(candidate, data.X_test, data.y_test),
        candidate.document.get("mlflow_run_id"),
    )
    for name, minimum in gate["thresholds"].items():
        value = result.metrics[name]
        result.check(f"{name} >= {minimum}", value >= minimum, f"{name} = {value:.4f}")
    try:
        active = load_active(ws.model_dir)
    except ModelError as exc:  # first model ever, or a broken registry: say which
        result.check("no regression vs active", True, f"skipped: {str(exc)[:60]}")
    else:
        result.active_version = active.version
        result.active_metrics = score(active, data.X_test, data.y_test)
        tolerance = gate["regression_tolerance"]
        for name in gate["thresholds"]:
            mine, theirs = result.metrics[name], result.active_metrics[name]
            result.check(
                f"{name} no worse than active {active.version} - {tolerance}",
                mine >= theirs - tolerance,
                f"candidate {mine:.4f} vs active {theirs:.4f}",
            )
    result.invariance = perturbation_invariance(candidate, data.X_test, gate["perturbation"])
    result.check(
        f"prediction invariant to a {gate['perturbation']:.1%} nudge",
        result.invariance >= gate["min_perturbation_invariance"],
        f"{result.invariance:.1%} of holdout rows unchanged "
        f"(need {gate['min_perturbation_invariance']:.0%})",
    )
    recorded = candidate.document["metrics"]["holdout"]["accuracy"]
    result.check(
        "served model reproduces training accuracy",
        abs(recorded - result.metrics["accuracy"]) < 1e-9,
        f"served {result.metrics['accuracy']:.4f} vs recorded {recorded:.4f}",
    )
    return result


def markdown(result: GateResult) -> str:
    """The gate as a Markdown table: the body of the retrain pull request (retrain.yml)."""
    verdict = "passed" if result.passed else "FAILED"
    lines = [
        f"### Quality gate {verdict}: candidate {result.candidate}",
        "",
        f"Holdout: {result.metrics['rows']} rows. Active model: {result.active_version or 'none'}.",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for check in result.checks:
        mark = "pass" if check["passed"] else "**FAIL**"
        lines.append(f"| {check['check']} | {mark} | {check['detail']} |")
    return "\n".join(lines) + "\n"


def report(ws: Workspace, result: GateResult) -> None:
    json_report = write_report(
        ws,
        "evaluate",
        {
            "candidate": result.candidate,
            "passed": result.passed,
            "metrics": result.metrics,
            "active_version": result.active_version,
            "active_metrics": result.active_metrics,
            "perturbation_invariance": result.invariance,
            "checks": result.checks,
        },
    )
    markdown_report = ws.reports_dir.parent / "model-gate.md"
    write_text(markdown_report, markdown(result))
    tracking.log_gate(ws, result.run_id, result, [json_report, markdown_report])
    print(f"quality gate for candidate {result.candidate} (holdout {result.metrics['rows']} rows):")
    for check in result.checks:
        print(f"  [{'PASS' if check['passed'] else 'FAIL'}] {check['check']:<52} {check['detail']}")
    print(
        f"GATE {'PASSED' if result.passed else 'FAILED'}  (report: "
        f"{ws.rel(ws.reports_dir / 'evaluate.json')})"
    )
