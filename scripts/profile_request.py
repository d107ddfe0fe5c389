"""make profile — where one request's CPU time goes, library by library.

`make bench` says how much slower this app is than a bare Flask app; this says why. It
serves requests in-process, straight through the app's WSGI callable (no server, no
network), under cProfile, and adds up the time spent inside each library's own functions.
The metrics run in multiprocess mode, as under gunicorn, and the access lines go to
/dev/null. The profiler slows every call down, so read the shares, not the microseconds; the time of
Python's built-in (C) functions goes to the library that called them.

    .venv/bin/python scripts/profile_request.py --path /healthz
    .venv/bin/python scripts/profile_request.py --path /api/v1/predict --requests 5000
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sysconfig
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def library_of(filename: str) -> str:
    """A library is named by the folder its code lives in; this repository's, by package."""
    path = Path(filename)
    if path == Path(__file__).resolve():
        return "(this profiling loop)"
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_relative_to(ROOT):
        return f"{path.relative_to(ROOT).parts[0]}/ (this repository)"
    if path.is_relative_to(STDLIB):
        return f"Python stdlib: {path.relative_to(STDLIB).parts[0].removesuffix('.py')}"
    return "Python stdlib"  # <frozen ...> modules


def predict_body() -> bytes:
    from ml.samples import load_rows  # the dataset's first row, as the bench posts it

    return json.dumps({"features": load_rows(ROOT / "data" / "wine.csv")[0]}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/healthz", help="/healthz or /api/v1/predict")
    parser.add_argument(
        "--app",
        choices=["this", "bare", "exporter"],
        default="this",
        help="this app, or one of make bench's baselines (they serve /ping only)",
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=12, help="how many libraries to list")
    args = parser.parse_args()

    # Multiprocess mode, as under gunicorn: set before prometheus_client is first imported.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lifecycle-lab-profile-")
    from werkzeug.test import EnvironBuilder

    from app import create_app
    from app.config import Settings
    from scripts.bench_baselines import PATH, create_bare_app, create_exporter_app

    if args.app != "this":
        args.path = PATH
    body = predict_body() if args.path == "/api/v1/predict" else None
    environ = EnvironBuilder(
        path=args.path,
        method="POST" if body else "GET",
        data=body,
        content_type="application/json" if body else None,
    ).get_environ()

    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        app = {
            "this": lambda: create_app(
                Settings(app_env="production", model_dir=str(ROOT / "models"))
            ),
            "bare": create_bare_app,
            "exporter": create_exporter_app,
        }[args.app]()

        def serve_one() -> None:
            request = {**environ, "wsgi.input": io.BytesIO(body or b"")}
            response = app(request, lambda status, headers, exc_info=None: None)
            b"".join(response)
            response.close()

        for _ in range(200):  # warm-up: first requests build caches lazily
            serve_one()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            serve_one()
        profiler.disable()

    per_library: Counter[str] = Counter()
    for (filename, _line, _function), (*_, own_time, _, callers) in pstats.Stats(
        profiler
    ).stats.items():
        if filename == "~":  # a built-in (C) function: its time goes to whoever called it
            for (caller_file, _, _), (*_, time_from_caller, _) in callers.items():
                per_library[library_of(caller_file)] += time_from_caller
        else:
            per_library[library_of(filename)] += own_time
    total = sum(per_library.values())
    print(
        f"{args.app} app, {args.path}: {args.requests} requests in-process under cProfile, "
        f"{total / args.requests * 1e6:.0f} µs each (the profiler's own cost included)"
    )
    for library, seconds in per_library.most_common(args.top):
        print(f"  {seconds / total:6.1%}  {library}")


if __name__ == "__main__":
    main()
