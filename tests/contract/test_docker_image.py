"""docker/Dockerfile and .dockerignore, held against the app they package (Python only).

The real build and run are in tests/e2e (`make e2e`), hadolint's verdict in
tests/infra/test_dockerfile_tools.py; here every place where the Dockerfile must agree with the
app, the Makefile or the lock file is compared with the source, never with a copy.
"""

import re
import subprocess

import pytest

from app.config import ENVIRONMENTS, Settings
from tests.helpers import ROOT, require_tool

DOCKERFILE = ROOT / "docker" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(each.split(None, 1)[0].upper(), each.split(None, 1)[1].strip()) for each in logical]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def args_of(dockerfile, instruction: str) -> list[str]:
    return [args for name, args in dockerfile if name == instruction]


def env_of(dockerfile) -> dict[str, str]:
    env = {}
    for args in args_of(dockerfile, "ENV"):
        env.update(re.findall(r"(\w+)=(\S+)", args))
    return env


def test_multi_stage_with_the_base_image_as_build_argument(dockerfile):
    assert dockerfile[0][0] == "ARG" and dockerfile[0][1].startswith("PYTHON_IMAGE=")
    froms = args_of(dockerfile, "FROM")
    assert len(froms) >= 2, "multi-stage: a builder and a runtime stage"
    assert all(each.startswith("${PYTHON_IMAGE}") for each in froms)
    default = dockerfile[0][1].split("=", 1)[1]
    assert ":" in default and not default.endswith(":latest"), "pin the default base tag"


def test_uv_version_is_read_from_pyproject(dockerfile):
    """No version of its own: the builder installs the uv pyproject.toml requires."""
    assert not any(arg.startswith("UV_VERSION") for arg in args_of(dockerfile, "ARG"))
    copies = [args for name, args in dockerfile if name in {"COPY", "RUN"}]
    project = next(i for i, args in enumerate(copies) if args.startswith("pyproject.toml"))
    install = next(i for i, args in enumerate(copies) if "pip install" in args and "uv==" in args)
    assert project < install
    assert "required-version" in copies[install] and "pyproject.toml" in copies[install]


def test_dependencies_layer_comes_before_the_code(dockerfile):
    copies = [args for name, args in dockerfile if name == "COPY"]
    lock_copy = next(i for i, args in enumerate(copies) if "uv.lock" in args)
    code_copy = next(i for i, args in enumerate(copies) if args.startswith("app/"))
    assert lock_copy < code_copy
    sync = " ".join(args for args in args_of(dockerfile, "RUN") if "uv sync" in args)
    for flag in ("--frozen", "--no-default-groups", "--no-install-project"):
        assert flag in sync, f"uv sync without {flag}"


@pytest.fixture(scope="module")
def serving_packages() -> set[str]:
    """What the image installs: the lock's export without any dependency group."""
    uv = require_tool("uv")
    exported = subprocess.run(
        [uv, "export", "--frozen", "--no-default-groups", "--no-hashes", "--no-emit-project"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {line.split("==")[0].lower() for line in exported.splitlines() if "==" in line}


def test_the_serving_export_of_the_lock_has_no_training_libraries(serving_packages):
    assert {"flask", "gunicorn", "prometheus-client", "jsonschema"} <= serving_packages
    assert not serving_packages & {"scikit-learn", "numpy", "scipy", "pytest", "checkov"}
    assert not serving_packages & {"locust", "gevent"}, "locust has docker/locust.Dockerfile"


def test_the_image_without_swagger_ui_serves_no_api_docs_in_any_environment(
    dockerfile, serving_packages
):
    # Or APP_ENV=development (the kind demo) would refuse to start: API_DOCS needs the package.
    assert "flask-swagger-ui" not in serving_packages
    api_docs = env_of(dockerfile)["API_DOCS"]
    for app_env in ENVIRONMENTS:
        assert not Settings.from_env({"APP_ENV": app_env, "API_DOCS": api_docs}).api_docs


def test_runtime_user_is_numeric_and_not_root(dockerfile):
    user = args_of(dockerfile, "USER")[-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) != 0


def test_port_and_writable_paths_match_the_app(dockerfile):
    env = env_of(dockerfile)
    assert int(env["PORT"]) == Settings().port
    assert args_of(dockerfile, "EXPOSE") == [env["PORT"]]
    # The one writable path must be under /tmp, where the run-time tmpfs is mounted.
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert env["APP_ENV"] == "production", "secure default: chaos off unless asked for"


def test_entrypoint_is_the_server_in_exec_form(dockerfile):
    # Exec form, so `python -m app` is PID 1 and gets SIGTERM itself: the drain runs. A shell
    # form would put /bin/sh first, which passes no signal on.
    assert args_of(dockerfile, "ENTRYPOINT")[-1] == '["python3", "-m", "app"]'
    assert not args_of(dockerfile, "CMD"), "a CMD would be appended to python -m app's arguments"


def test_healthcheck_probes_a_real_route_without_curl(dockerfile):
    check = args_of(dockerfile, "HEALTHCHECK")[-1]
    assert "curl" not in check and "wget" not in check
    path = re.search(r"127\.0\.0\.1:%s(/\w+)", check).group(1)
    from app import create_app

    routes = {rule.rule for rule in create_app().url_map.iter_rules()}
    assert path in routes


def test_labels_are_the_oci_ones_fed_by_build_arguments(dockerfile):
    labels = " ".join(args_of(dockerfile, "LABEL"))
    for key, arg in {
        "version": "VERSION",
        "revision": "REVISION",
        "created": "CREATED",
        "source": "SOURCE",
    }.items():
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in labels
    assert 'org.opencontainers.image.title="lifecycle-lab"' in labels


def test_only_the_code_and_the_models_are_copied_into_the_runtime(dockerfile):
    runtime = dockerfile[[name for name, _ in dockerfile].index("FROM", 2) :]
    sources = [args.split()[0] for name, args in runtime if name == "COPY" and "--from" not in args]
    assert sources == ["app/", "model_registry/", "models/"]


def test_dockerignore_is_an_allow_list_covering_every_copy(dockerfile):
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "start by ignoring everything, then allow what the image needs"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for args in args_of(dockerfile, "COPY"):
        if "--from" not in args:
            copied.update(part.rstrip("/") for part in args.split()[:-1])
    assert copied == allowed, "allow exactly what the Dockerfile copies"
    for secret_like in ("**/*.env", "**/.env*"):
        assert secret_like in lines


def test_every_checkov_skip_is_justified():
    for line in DOCKERFILE.read_text().splitlines():
        if "checkov:skip=" in line:
            check, _, reason = line.split("checkov:skip=", 1)[1].partition(":")
            assert check.startswith("CKV") and len(reason.strip()) > 20, line
