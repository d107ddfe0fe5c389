"""Run the CI pipeline's stages in order on this machine: `make pipeline`.

Each stage is a make target, exactly what GitHub Actions and the Jenkinsfile call. A progress
line per stage shows its elapsed seconds; the first failing stage stops the run and is named.

PIPELINE_STAGES overrides the stage list (space separated), e.g.
`PIPELINE_STAGES="lint test" make pipeline`.
"""

import os
import subprocess
import sys
import time

# CI order: cheap checks first, so a typo fails in seconds, not after the image build. The
# fast tier (`make test`), then the parts of `make check` (mk/core.mk), the ML gate, the image.
DEFAULT_STAGES = (
    "setup",
    "lint",
    "test",
    "validate",
    "test-docs",
    "test-integration",
    "train",
    "evaluate",
    "image",
    "e2e",
    "ansible-test",
    "sbom",
)


def stages_from_env() -> list[str]:
    override = os.environ.get("PIPELINE_STAGES", "").split()
    return override or list(DEFAULT_STAGES)


def run_stage(stage: str, make: str) -> tuple[int, float]:
    started = time.monotonic()
    returncode = subprocess.call([make, stage])
    return returncode, time.monotonic() - started


def main() -> int:
    stages = stages_from_env()
    make = os.environ.get("MAKE", "make")
    total_started = time.monotonic()
    for number, stage in enumerate(stages, start=1):
        label = f"[{number}/{len(stages)}] {stage}"
        print(f"==> {label} ...", flush=True)
        returncode, elapsed = run_stage(stage, make)
        if returncode != 0:
            print(
                f"==> {label} FAILED after {elapsed:.1f}s (exit {returncode}); "
                f"pipeline stopped at stage '{stage}'",
                flush=True,
            )
            return 1
        print(f"==> {label} ok in {elapsed:.1f}s", flush=True)
    total = time.monotonic() - total_started
    print(f"==> pipeline passed: {len(stages)} stages in {total:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
