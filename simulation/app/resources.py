"""What ``sifsim`` refuses before a run beyond the config's own values: the window and the size.

:func:`collect_run_problems` is :func:`scenarios.validation.collect_problems`, then every dated
item inside the simulated window (:func:`scenarios.validation.window_problems`, once the values
are sane), then the run's size against this machine (memory, time; once there is no other
problem). A library caller of :func:`simulation.core.runner.run` may simulate a short part of a
project on purpose; the command line may not.
"""

from __future__ import annotations

import os

from scenarios import schema
from scenarios.validation import collect_problems, window_problems


def collect_run_problems(cfg: schema.SifsimConfig) -> list[str]:
    problems = collect_problems(cfg)
    if not problems:
        problems += window_problems(cfg)
    if not problems:
        problems += resource_problems(cfg)
    return problems


# --- the size of a run --------------------------------------------------------------------

#: refuse what would not fit or take longer than this, unless $SIFSIM_ALLOW_LARGE=1
ALLOW_LARGE_ENV = "SIFSIM_ALLOW_LARGE"
MAX_HOURS = 24.0
BYTES_PER_SLOT = 600            # model state per household slot of a batch (simulation.core.runner)
OUTPUT_BYTES_PER_SLOT = 40      # table rows kept per household slot and replication (measured ≈36)
SECONDS_PER_SLOT_MONTH = 2e-7   # a lower bound: measured ≈1.5e-6 on one core of a loaded machine


def available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def estimate(cfg: schema.SifsimConfig) -> dict[str, float]:
    """Peak memory (bytes) and a lower bound of the wall time (s) of a run, from its config alone."""
    from simulation.core.runner import BATCH_HOUSEHOLD_SLOTS, batch_size
    years = cfg.horizon_years + 1
    slots = cfg.population.households * (1.0 + years / 2.0)
    grants = max(1, len(cfg.portfolio))
    cores = os.cpu_count() or 1
    workers = min(cfg.workers or cores, cfg.replications)
    batch = batch_size(cfg)
    state = max(slots, min(slots * batch, BATCH_HOUSEHOLD_SLOTS)) * BYTES_PER_SLOT * workers
    output = slots * cfg.replications * grants * OUTPUT_BYTES_PER_SLOT
    seconds = slots * 12 * years * cfg.replications * grants * SECONDS_PER_SLOT_MONTH / min(workers, cores)
    one_replication = slots * 12 * years * grants * SECONDS_PER_SLOT_MONTH
    return {"state": state, "output": output, "seconds": seconds, "one_replication_s": one_replication}


def resource_problems(cfg: schema.SifsimConfig) -> list[str]:
    """A run that cannot fit this machine's memory or would run for more than MAX_HOURS, naming the key."""
    if os.environ.get(ALLOW_LARGE_ENV) == "1":
        return []
    est = estimate(cfg)
    override = f"set {ALLOW_LARGE_ENV}=1 to run it anyway"
    problems: list[str] = []
    avail = available_memory_bytes()
    gib = 2 ** 30
    if avail is not None and est["state"] + est["output"] > avail:
        if est["state"] > avail or est["output"] < est["state"]:
            key = f"population.households={cfg.population.households}"
        else:
            key = f"replications={cfg.replications}"
        problems.append(f"{key}: the run needs about {(est['state'] + est['output']) / gib:,.1f} GiB "
                        f"(households × horizon × replications), this machine has "
                        f"{avail / gib:,.1f} GiB available; allowed: a smaller value, or {override}")
    elif est["seconds"] > MAX_HOURS * 3600:
        key = f"population.households={cfg.population.households}" \
            if est["one_replication_s"] > MAX_HOURS * 3600 else f"replications={cfg.replications}"
        problems.append(f"{key}: the run would take at least {est['seconds'] / 3600:,.0f} hours "
                        f"(limit {MAX_HOURS:.0f} h); allowed: a smaller value, or {override}")
    return problems
