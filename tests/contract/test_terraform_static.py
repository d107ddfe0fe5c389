"""Static checks on every Terraform file, by parsing the HCL (python-hcl2).

These cover what `terraform validate` cannot say and what must hold for the provider roots,
which cannot be initialised offline (see docs/terraform.md): variables are typed, described
and validated; no secret is written into the code; every root pins its provider versions and
keeps local state; the two environment roots differ only in their sizing (main.tf).
"""

import re
from pathlib import Path

import hcl2
import pytest

from tests.helpers import ROOT

TF_DIR = ROOT / "terraform"
ENVIRONMENTS = ("staging", "production")
ROOTS = [TF_DIR / "environments" / env for env in ENVIRONMENTS]
TF_FILES = sorted(TF_DIR.rglob("*.tf"))

# `import hcl2` is either python-hcl2 >= 7 or checkov's fork bc-python-hcl2 (both install a
# module named hcl2). The fork wraps every attribute value in a one-element list and writes
# types as "${string}"; python-hcl2 keeps string quotes unless told otherwise. The three helpers
# below read both shapes, so the tests do not depend on which one a machine ended up with.
_NEW_API = hasattr(hcl2, "SerializationOptions")


def parse(path: Path) -> dict:
    with path.open() as handle:
        if _NEW_API:
            options = hcl2.SerializationOptions(
                strip_string_quotes=True, explicit_blocks=False, with_comments=False
            )
            return hcl2.load(handle, serialization_options=options)
        return hcl2.load(handle)


def attr(body: dict, name: str, default=None):
    """The value of attribute `name` of a block body."""
    if name not in body:
        return default
    value = body[name]
    if not _NEW_API and isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        bare = value[2:-1]
        if re.fullmatch(r"[a-z]+(\(.*\))?", bare, flags=re.DOTALL):  # a type expression
            return bare
    return value


def labelled_blocks(document: dict, block_type: str) -> dict[str, dict]:
    """{label: body} of the top-level blocks `block_type "label" { ... }`."""
    found = {}
    for entry in document.get(block_type, []):
        found.update(entry)
    return found


def test_there_is_terraform_to_check():
    assert len(TF_FILES) >= 10, TF_FILES
    assert all((root / "main.tf").is_file() for root in ROOTS)


# --- variables ---------------------------------------------------------------------------------

VARIABLES = [
    pytest.param(path, name, body, id=f"{path.relative_to(TF_DIR)}:{name}")
    for path in TF_FILES
    for name, body in labelled_blocks(parse(path), "variable").items()
]


def test_variables_are_found():
    assert len(VARIABLES) >= 8


@pytest.mark.parametrize(("path", "name", "body"), VARIABLES)
def test_variable_is_typed_described_and_validated(path, name, body):
    assert attr(body, "type"), f"variable {name} in {path} has no type"
    description = attr(body, "description", "")
    assert isinstance(description, str) and len(description) >= 20, (
        f"variable {name} in {path} needs a description a student can act on"
    )
    assert body.get("validation"), f"variable {name} in {path} has no validation block"


# --- secrets -----------------------------------------------------------------------------------

SECRET_NAME = re.compile(
    r"(password|passwd|secret|token|private_key|client_key|api_key|access_key)"
)


def literal_secrets(node, where: str = "") -> list[str]:
    """Attributes named like a credential whose value is a string literal (not an expression)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
                value = value[0]  # the bc-python-hcl2 shape of an attribute
            if (
                isinstance(value, str)
                and SECRET_NAME.search(key.lower())
                and value.strip()
                and "${" not in value
            ):
                found.append(f"{where}{key} = {value!r}")
            else:
                found.extend(literal_secrets(value, f"{where}{key}."))
    elif isinstance(node, list):
        for item in node:
            found.extend(literal_secrets(item, where))
    return found


def test_secret_detector_finds_a_planted_literal(tmp_path):
    """The detector must be able to fail: a literal token and password are reported, while
    the same attributes set from a variable, and boolean flags, are not."""
    planted = tmp_path / "planted.tf"
    planted.write_text(
        'provider "kubernetes" {\n'
        '  token    = "eyJhbGciOiJSUzI1NiJ9.abc"\n'
        "  password = var.password\n"
        "}\n"
        'resource "x" "y" {\n'
        "  automount_service_account_token = false\n"
        "  nested {\n"
        '    client_key = "-----BEGIN PRIVATE KEY-----"\n'
        "  }\n"
        "}\n"
    )
    found = literal_secrets(parse(planted))
    assert len(found) == 2, found
    assert any("token" in item for item in found) and any("client_key" in item for item in found)


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TF_DIR)))
def test_no_hard_coded_secret(path):
    assert literal_secrets(parse(path)) == []


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TF_DIR)))
def test_credential_like_variables_are_sensitive_without_default(path):
    for name, body in labelled_blocks(parse(path), "variable").items():
        if SECRET_NAME.search(name):
            assert attr(body, "sensitive") is True, f"{name} must be sensitive"
            assert "default" not in body, f"{name} must not have a default value"


# --- providers, state, roots -------------------------------------------------------------------


def terraform_settings(directory: Path) -> dict:
    """required_version and required_providers declared by any file of a module."""
    settings = {"required_version": None, "required_providers": {}}
    for path in directory.glob("*.tf"):
        for block in parse(path).get("terraform", []):
            settings["required_version"] = (
                attr(block, "required_version") or settings["required_version"]
            )
            for providers in block.get("required_providers", []):
                for name, spec in providers.items():
                    if isinstance(spec, list):
                        spec = spec[0]
                    settings["required_providers"][name] = spec
    return settings


def has_upper_bound(constraint: str) -> bool:
    """'~> 3.0', '= 3.0.1', '3.0.1' or '>= 3.0, < 4.0' cap the version; '>= 3.0' does not."""
    parts = [part.strip() for part in constraint.split(",")]
    return any(
        part.startswith(("~>", "<", "=")) or re.fullmatch(r"\d+\.\d+\.\d+", part) for part in parts
    )


def test_upper_bound_rule_tells_pinned_from_open():
    assert has_upper_bound("~> 3.0") and has_upper_bound(">= 2.36.0, < 4.0.0")
    assert not has_upper_bound(">= 2.36.0") and not has_upper_bound("> 3")


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_root_pins_terraform_and_every_provider(root):
    settings = terraform_settings(root)
    assert settings["required_version"] and has_upper_bound(settings["required_version"])
    assert settings["required_providers"], "a root must declare its providers"
    for name, spec in settings["required_providers"].items():
        assert spec.get("source", "").startswith("hashicorp/"), name
        assert has_upper_bound(spec.get("version", "")), f"{name} in {root} is not pinned"


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_root_pins_every_provider_its_modules_need(root):
    pinned = set(terraform_settings(root)["required_providers"])
    for module in labelled_blocks(parse(root / "main.tf"), "module").values():
        needed = set(
            terraform_settings((root / attr(module, "source")).resolve())["required_providers"]
        )
        assert needed <= pinned, f"{root.name} does not pin {needed - pinned}"


def test_platform_plan_module_stays_provider_free():
    """Its `terraform test` runs offline only while it needs no provider at all."""
    module = TF_DIR / "modules" / "platform-plan"
    assert terraform_settings(module)["required_providers"] == {}
    for path in module.glob("*.tf"):
        document = parse(path)
        assert not document.get("resource") and not document.get("data"), path
        assert not document.get("provider") and not document.get("module"), path


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_root_keeps_local_state(root):
    """The remote backend is documented (backend.tf comments), not active."""
    for path in root.glob("*.tf"):
        for block in parse(path).get("terraform", []):
            assert "backend" not in block and "cloud" not in block, path
    assert 'backend "s3"' in (root / "backend.tf").read_text()


def test_environment_roots_differ_only_in_their_sizing():
    staging, production = ROOTS
    shared = {p.name for p in staging.glob("*.tf")} - {"main.tf"}
    assert shared == {p.name for p in production.glob("*.tf")} - {"main.tf"}
    for name in sorted(shared):
        assert (staging / name).read_text() == (production / name).read_text(), (
            f"{name} differs between the roots: keep per-environment values in main.tf"
        )


def test_kubernetes_resources_are_the_versioned_ones():
    """Provider 3.x deprecates the unversioned names (kubernetes_namespace, ...)."""
    types = set()
    for path in TF_FILES:
        types.update(labelled_blocks(parse(path), "resource"))
    assert types, "no resources found"
    assert all(t.endswith("_v1") for t in types if t.startswith("kubernetes_")), types
