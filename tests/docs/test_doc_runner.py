"""The doc-test machinery itself: it reads the conventions right, and it can fail."""

from __future__ import annotations

import textwrap

import pytest

from tests.docs.markdown import document_commands, missing_expectations
from tests.docs.runner import DocumentRun, server_kind
from tests.docs.workspace import Workspace
from tests.helpers import ROOT

SAMPLE = textwrap.dedent(
    """\
    # A lab

    ```bash
    make run     # the service (a description, not an expectation)
    curl -s localhost:8000/readyz   # {"status":"ready"}
    curl -s -X POST localhost:8000/x -d '{"a":
      1}'
    # → {"error": …}
    ```

    <!-- doc-test: skip needs=docker only="docker" -->
    ```console
    $ docker ps
    $ make promote VERSION=v1   # fails (exit 2)
    error: version v1 is retired …
    ```

    <!-- doc-test: skip needs=wifi -->
    ```sh
    echo never
    ```

    <!-- doc-test: background-output -->
    ```text
    [chat] FIRING …
    ```
    """
)


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "lab.md"
    path.write_text(SAMPLE)
    return document_commands(path)


def test_commands_expectations_and_markers_are_read(sample):
    texts = [c.text for c in sample]
    assert texts[0] == "make run" and sample[0].expected == []
    assert sample[1].expected == ['{"status":"ready"}']
    assert texts[2].endswith("'{\"a\":\n  1}'") and sample[2].expected == ['{"error": …}']
    docker, promote = sample[3], sample[4]
    assert docker.skip and docker.skip.needs == "docker"
    assert promote.skip is None and promote.exit_code == 2
    assert promote.expected == ["error: version v1 is retired …"]
    assert sample[5].skip.problems  # needs=wifi is not an allowed reason
    assert sample[6].background_output and sample[6].expected == ["[chat] FIRING …"]
    assert server_kind("make run") and server_kind('DEMO_ARGS="x" make demo')
    assert server_kind("make run-it") is None and server_kind("make ml-status") is None


def test_expected_lines_must_appear_in_order():
    output = "alcohol   3.22   0 0 DRIFT\nhue 1.54 DRIFT\n"
    assert missing_expectations(["alcohol … DRIFT", "hue … DRIFT"], output) == []
    assert missing_expectations(["hue … DRIFT", "alcohol … DRIFT"], output) == ["alcohol … DRIFT"]
    assert missing_expectations(['{"a":1,"b":"…"}'], '{"a": 1, "b": "x"}') == []
    assert missing_expectations(['{"a":2}'], '{"a": 1}') == ['{"a":2}']


def test_the_runner_fails_on_a_wrong_exit_status_or_missing_output(tmp_path):
    doc = tmp_path / "lab.md"
    doc.write_text(
        "```bash\n"
        "false   # fails (exit 1)\n"
        "echo hello   # → hello\n"
        "git status --short   # → ?? new-file\n"  # the workspace is a git repository
        "```\n"
    )
    workspace = Workspace("self-test")
    try:
        (workspace.path / "new-file").write_text("x")
        DocumentRun(workspace).run(document_commands(doc))  # all three as documented
        for wrong in ("echo hello   # → goodbye", "exit 3", "true   # fails (exit 1)"):
            doc.write_text(f"```bash\n{wrong}\n```\n")
            with pytest.raises(AssertionError):
                DocumentRun(workspace).run(document_commands(doc))
    finally:
        workspace.remove()
    assert not (ROOT / "new-file").exists()


def test_workspace_ports_are_remapped_in_commands_and_configs():
    workspace = Workspace("ports")
    try:
        remapped = workspace.remap("curl localhost:8000/ http://127.0.0.1:9090/x :80001")
        assert f"localhost:{workspace.ports[8000]}/" in remapped
        assert f"127.0.0.1:{workspace.ports[9090]}/x" in remapped and ":80001" in remapped
        config = (workspace.path / "monitoring/prometheus/prometheus.yml").read_text()
        assert f"127.0.0.1:{workspace.ports[8000]}" in config and "127.0.0.1:8000" not in config
        assert (workspace.path / ".venv").is_symlink()
    finally:
        workspace.remove()
