"""What the built image is: its user, labels, size, contents and health check."""

import yaml

from tests.e2e import engine as eng
from tests.helpers import ROOT

OCI = "org.opencontainers.image."


def _run_in_image(engine: str, image: str, program: str, *args: str):
    """Run a program in a throwaway container of the image (read-only, its own user, like prod)."""
    return eng.run(
        engine, "run", "--pull=never", "--rm", "--read-only", "--entrypoint", program, image, *args,
        check=False,
    )  # fmt: skip


def _run_python(engine: str, image: str, code: str):
    return _run_in_image(engine, image, "python3", "-c", code)


def test_image_user_is_numeric_and_not_root(image_config):
    user = image_config["Config"]["User"]
    uid = user.split(":")[0]
    assert uid.isdigit(), f"USER must be numeric (Kubernetes runAsNonRoot checks it): {user!r}"
    assert int(uid) != 0


def test_process_runs_as_that_user(app_container, image_config):
    result = app_container.exec("python3", "-c", "import os; print(os.getuid(), os.getgid())")
    assert result.returncode == 0, result.stderr
    uid, gid = result.stdout.split()
    assert f"{uid}:{gid}" == image_config["Config"]["User"]


def test_oci_labels_carry_build_metadata(image_config):
    labels = image_config["Config"]["Labels"] or {}
    assert labels[OCI + "title"] == "lifecycle-lab"
    assert labels[OCI + "version"] == eng.env_or_fail("E2E_IMAGE_VERSION")
    assert labels[OCI + "revision"] == eng.env_or_fail("E2E_IMAGE_REVISION")
    assert labels[OCI + "created"].endswith("Z"), "created must be an RFC 3339 UTC time"
    assert labels[OCI + "source"].startswith("https://"), labels[OCI + "source"]
    assert "@" not in labels[OCI + "source"], "no credentials in a label"


def test_image_size_is_within_the_limit_for_its_base(image_config):
    limit_mb = float(eng.env_or_fail("E2E_IMAGE_MAX_MB"))
    size_mb = image_config["Size"] / 1e6
    print(f"\nimage size: {size_mb:.1f} MB (limit {limit_mb:.0f} MB)")
    assert size_mb <= limit_mb


def test_serving_libraries_are_there_and_training_libraries_are_not(engine, image):
    serving = _run_python(engine, image, "import flask, gunicorn, prometheus_client, jsonschema")
    assert serving.returncode == 0, serving.stderr
    for training_library in ("sklearn", "numpy"):
        result = _run_python(engine, image, f"import {training_library}")
        assert result.returncode != 0, f"{training_library} must not be in the serving image"
        assert "ModuleNotFoundError" in result.stderr


def test_only_the_app_and_the_model_registry_are_copied(engine, image):
    result = _run_python(engine, image, "import os; print(' '.join(sorted(os.listdir('.'))))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["app", "model_registry", "models"]


def test_root_filesystem_is_read_only_and_tmp_is_writable(app_container):
    code = (
        "import os, pathlib\n"
        "for path in ('app/intruder.py', '/etc/intruder'):\n"
        "    try:\n"
        "        pathlib.Path(path).write_text('x')\n"
        "        print('WROTE', path)\n"
        "    except OSError as error:\n"
        "        print('refused', path, error.strerror)\n"
        "pathlib.Path('/tmp/probe').write_text('ok')\n"
        "print('tmp', pathlib.Path('/tmp/probe').read_text())\n"
    )
    result = app_container.exec("python3", "-c", code)
    assert result.returncode == 0, result.stderr
    assert "WROTE" not in result.stdout
    assert result.stdout.count("refused") == 2
    assert "tmp ok" in result.stdout


def test_healthcheck_needs_no_curl_and_passes(engine, image_config, app_container):
    # podman keeps it at the top level, docker under Config.
    healthcheck = image_config.get("Healthcheck") or image_config["Config"].get("Healthcheck")
    assert healthcheck, "the image has no HEALTHCHECK"
    test = healthcheck["Test"]
    assert "curl" not in " ".join(test) and "wget" not in " ".join(test)
    assert test[0] == "CMD", "exec form: no shell needed"
    if eng.is_podman(engine):
        result = eng.run(engine, "healthcheck", "run", app_container.id, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    else:  # docker runs the check itself on its interval; run the same command by hand
        result = app_container.exec(*test[1:])
        assert result.returncode == 0, result.stderr


def test_the_kubernetes_prestop_command_runs_in_the_image(engine, image):
    # The Deployment's preStop hook execs a command inside this image; a base without it
    # would fail the hook and cut the endpoint-removal pause. Read it from the manifest.
    deployment = yaml.safe_load((ROOT / "k8s/base/deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    quick = [command[0], "0"] if command[0] == "sleep" else command
    result = _run_in_image(engine, image, *quick)
    assert result.returncode == 0, result.stderr
