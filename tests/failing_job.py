"""``python tests/failing_job.py OVERRIDE [sifsim arguments ...]``: sifsim where a job fails on purpose.

Test side only (tests/test_sweep.py): every job whose overrides include
``OVERRIDE`` raises inside the Hydra task, as a crash in the model would, so
the failure and resume paths run through the real command. The jobs must run
in this process: Hydra's basic launcher (the default), or a single run.
"""

from __future__ import annotations

import sys

from hydra.core.hydra_config import HydraConfig

from simulation.app import cli, task


def main() -> None:
    target, args = sys.argv[1], sys.argv[2:]
    real_execute = task.execute

    def execute(cfg, output_dir, **kwargs):
        if target in HydraConfig.get().overrides.task:
            raise RuntimeError(f"injected failure for tests (job with {target})")
        return real_execute(cfg, output_dir, **kwargs)

    task.execute = execute            # looked up by task.hydra_main when each job runs
    sys.argv = [sys.argv[0], *args]
    cli.main()


if __name__ == "__main__":
    main()
