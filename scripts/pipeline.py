"""Run the CI pipeline's stages in order on this machine: `make pipeline`.

The stages are the two test tiers, as .ci/run runs them: `make test` (the fast tier), then
each part of `make check`. Those parts are written once, as CHECK_PARTS in mk/core.mk; this
script asks make for them (`make print-check-parts`) rather than keeping a copy that drifts.
Each stage is a make target, exactly what GitHub Actions and the Jenkinsfile call. A progress
line per stage shows its elapsed seconds; the first failing stage stops the run and is named.

PIPELINE_STAGES overrides the stage list (space separated), e.g.
`PIPELINE_STAGES="lint test" make pipeline`.
"""

import os
import subprocess
import sys
import time


def check_parts(make: str) -> list[str]:
    """The parts of `make check`, in the order mk/core.mk lists them."""
    answer = subprocess.run(
        [make, "-s", "print-check-parts"], capture_output=True, text=True, check=True
    )
    return answer.stdout.split()


def default_stages(make: str) -> list[str]:
    """What .ci/run runs: setup, the fast tier, then each part of `make check`."""
    return ["setup", "test", *check_parts(make)]


def stages_from_env(make: str) -> list[str]:
    override = os.environ.get("PIPELINE_STAGES", "").split()
    return override or default_stages(make)


def run_stage(stage: str, make: str) -> tuple[int, float]:
    started = time.monotonic()
    returncode = subprocess.call([make, stage])
    return returncode, time.monotonic() - started


def main() -> int:
    make = os.environ.get("MAKE", "make")
    stages = stages_from_env(make)
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
