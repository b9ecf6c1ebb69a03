"""Run ONE benchmark workload in this (fresh) process and write a JSON record.

    python bench_worker.py SPEC_JSON OUT_JSON [--mode serial|parallel] [--profile OUT_TXT]

Started by ``_bench.run_worker``; not a test module. A fresh process per
workload keeps peak-memory figures (``ru_maxrss``) separate.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _config import compose_config, serial_overrides  # noqa: E402

#: the compiled loop of the month's uniforms (simulation/core/pcg64.py), inside MonthDraws.draw
DRAWS_LOOP = "pcg64_month"


def cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def maxrss_kb(who: int = resource.RUSAGE_SELF) -> int:
    return int(resource.getrusage(who).ru_maxrss)  # kilobytes on Linux


def adopt_descendants() -> bool:
    """Make this process the subreaper of its descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    Since 0.6.0 a command's workers are children of its fork server, which the command does not
    wait for: their CPU time would reach nobody's ``RUSAGE_CHILDREN``. As subreaper this process
    inherits them when their parents end, and :func:`reap_descendants` waits for them, so the CPU
    column counts every process of the command. False where the call is not available.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER = 36
    except (OSError, AttributeError):
        return False


def reap_descendants(timeout_s: float = 30.0) -> None:
    """Wait for every orphaned descendant this subreaper inherited (at most ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def run_reference(spec: dict) -> dict:
    from reference_model import ReferenceModel, ReferenceParams

    config = compose_config(spec["overrides"])
    params = ReferenceParams.from_config(config, months=spec["months"])
    before, cpu0 = maxrss_kb(), cpu_s()
    t0 = time.perf_counter()
    model = ReferenceModel(params, rng=config.seed)
    t_setup = time.perf_counter() - t0
    model.run()
    wall = time.perf_counter() - t0
    traj = model.trajectory()
    return {"wall_s": wall, "cpu_s": cpu_s() - cpu0, "setup_s": t_setup, "household_months": int(traj["households_present"].sum()),
            "counted_present": True, "months": len(traj), "arms": 1, "replications": 1,
            "households_on_eb_end": int(traj["households_on_eb"].iloc[-1]),
            "rss_before_kb": before, "maxrss_kb": maxrss_kb()}


def install_present_counter() -> dict:
    """Count households in the area after every month by wrapping ``SifsimModel.step`` (no model edit).

    In the area = present in the simulated (active) households, plus households
    the model has retired from simulation while still in the area (settled
    off EB; their storage sits at the end of the arrays). Both arms counted.
    """
    counter = {"household_months": 0, "simulated_household_months": 0, "ok": True}
    try:
        from simulation.core.model import SifsimModel
    except ImportError:
        counter["ok"] = False
        return counter
    original = SifsimModel.step

    def step(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        try:
            hh = self.households
            simulated = int(hh.present.sum())
            retired = int(getattr(hh, "retired_present", 0))
            counter["simulated_household_months"] += simulated
            counter["household_months"] += simulated + retired
        except (AttributeError, KeyError, TypeError):
            counter["ok"] = False
        return out

    SifsimModel.step = step
    return counter


def run_sifsim(spec: dict, profile: str | None, serial: bool = True) -> dict:
    from simulation.core.runner import run

    config = compose_config(spec["overrides"], serial=serial)
    counter = install_present_counter() if not profile else {"ok": False, "household_months": 0}
    before, cpu0 = maxrss_kb(), cpu_s()
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    results = run(config, progress=False)
    wall = time.perf_counter() - t0
    cpu = cpu_s() - cpu0
    if profiler is not None:
        profiler.disable()
        write_profile(profiler, Path(profile), wall, spec)
    pop = results.population
    sizes = pop.groupby(["replication", "arm"], observed=True).size()
    months_expected = 12 * (config.horizon_years + (1 if config.intervention.start_month > 1 else 0))
    nominal = config.population.households * months_expected * 2 * config.replications
    counted = counter["ok"] and counter["household_months"] > 0
    cpu += cpu_s(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": cpu, "household_months": counter["household_months"] if counted else nominal,
            "counted_present": counted, "nominal_household_months": nominal,
            "simulated_household_months": counter.get("simulated_household_months", 0),
            "months": int(sizes.min()) if len(sizes) else 0, "months_max": int(sizes.max()) if len(sizes) else 0,
            "months_expected": months_expected,
            "arms": sorted(str(a) for a in pop["arm"].unique()),
            "replications": int(pop["replication"].nunique()), "replications_expected": config.replications,
            "ledger_rows": len(results.ledger), "timings_s": results.timings_s,
            "rss_before_kb": before, "maxrss_kb": maxrss_kb()}


def write_profile(profiler, path: Path, wall: float, spec: dict) -> None:
    import io
    import pstats
    buf = io.StringIO()
    buf.write(f"cProfile of workload {spec['name']} ({' '.join(spec['overrides'])}); "
              f"wall under the profiler {wall:.1f} s\n\n")
    stats = pstats.Stats(profiler, stream=buf).strip_dirs()
    buf.write("=== by own time (tottime) ===\n")
    stats.sort_stats("tottime").print_stats(35)
    buf.write("\n=== by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(45)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue())


def sweep_phases(sweep_dir: Path, started: float, ended: float) -> dict[str, float]:
    """A sweep's wall time in three parts, from its jobs' files: before the first job started (Hydra's
    start, every job's validation, the launcher's workers), the jobs (the first job's attempt marker,
    written as a job starts, to the last ``done.json``, written as one ends) and after them (the sweep
    table, its charts and report); and the jobs' own wall times summed (their ``done.json``)."""
    starts, ends, own = [], [], 0.0
    for job in (p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()):
        starts.append((job / ".sifsim-attempt.json").stat().st_mtime)
        ends.append((job / "done.json").stat().st_mtime)
        own += json.loads((job / "done.json").read_text())["wall_time_s"]
    first, last = min(starts), max(ends)
    return {"before_jobs": first - started, "jobs": last - first, "after_jobs": ended - last, "jobs_own_sum": own}


def run_sweep(spec: dict, mode: str) -> dict:
    workdir = Path(spec["workdir"])
    sweep_dir = workdir / f"sweep_{mode}"
    launcher = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"] if mode == "parallel" \
        else ["hydra/launcher=basic"]
    # each job serial inside (workers=1 where the schema has it): parallelism only across jobs
    cmd = [sys.executable, "-m", "simulation", "-m", *launcher, *spec["sweep_grid"], *serial_overrides(),
           *spec["overrides"], f"hydra.sweep.dir={sweep_dir}"]
    t0, started = time.perf_counter(), time.time()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall, ended = time.perf_counter() - t0, time.time()
    reap_descendants()
    if proc.returncode != 0:
        raise SystemExit(f"sweep ({mode}) failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    phases = sweep_phases(sweep_dir, started, ended)
    jobs = {}
    for job in sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()):
        overrides = (job / ".hydra" / "overrides.yaml")
        table = job / "population.csv"
        jobs[job.name] = {
            "overrides": overrides.read_text() if overrides.exists() else "",
            "population_sha256": hashlib.sha256(table.read_bytes()).hexdigest() if table.exists() else None,
        }
    return {"mode": mode, "wall_s": wall, "cpu_s": cpu_s(resource.RUSAGE_CHILDREN), "command": " ".join(cmd[1:]), "jobs": jobs,
            "phases_s": phases,
            "maxrss_kb": max(maxrss_kb(resource.RUSAGE_CHILDREN), 0)}


def run_command(spec: dict) -> dict:
    """The whole ``python -m simulation`` command (start-up, simulation, tables, charts, report)."""
    workdir = Path(spec["workdir"])
    run_dir = workdir / "run"
    cmd = [sys.executable, "-m", "simulation", *spec["overrides"], f"hydra.run.dir={run_dir}"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    reap_descendants()
    if proc.returncode != 0:
        raise SystemExit(f"command failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    import pandas as pd
    pop = pd.read_parquet(run_dir / "population.parquet")
    sizes = pop.groupby(["replication", "arm"], observed=True).size()
    config = compose_config(spec["overrides"])
    months_expected = 12 * (config.horizon_years + (1 if config.intervention.start_month > 1 else 0))
    return {"wall_s": wall, "cpu_s": cpu_s(resource.RUSAGE_CHILDREN), "timings_s": manifest["wall_time_s"],
            "nominal_household_months": config.population.households * months_expected * 2 * config.replications,
            "household_months": 0, "counted_present": False,
            "months": int(sizes.min()), "months_max": int(sizes.max()), "months_expected": months_expected,
            "arms": sorted(str(a) for a in pop["arm"].unique()),
            "replications": int(pop["replication"].nunique()), "replications_expected": config.replications,
            "ledger_rows": len(pd.read_parquet(run_dir / "ledger.parquet")),
            "charts": len(list((run_dir / "charts").glob("*.png"))) if (run_dir / "charts").is_dir() else 0,
            "maxrss_kb": max(maxrss_kb(resource.RUSAGE_CHILDREN), 0)}


def time_compiled_loops(spent: dict[str, float]) -> None:
    """Time every call of a compiled loop from now on: CPU seconds per loop name into ``spent``.

    Every compiled loop is looked up by name in ``agents.kernels._COMPILED`` each time it runs
    (``kernels.compiled``), so a dict that hands out timed callables times them all, wherever they
    are called from (the model's loops, the draws' PCG64 steps, the books' sums)."""
    from agents import kernels

    class Timed(dict):
        def __getitem__(self, name):
            loop = dict.__getitem__(self, name)

            def run(*args):
                t = time.process_time()
                out = loop(*args)
                spent[name] = spent.get(name, 0.0) + time.process_time() - t
                return out
            return run

    kernels._COMPILED = Timed(kernels._COMPILED)


def run_split(spec: dict) -> dict:
    """A serial run split into its parts: the CPU inside ``MonthDraws.draw`` (the month's uniforms:
    compiled PCG64, :mod:`simulation.core.pcg64`), inside the model's other compiled loops (by name),
    in the tables' assembly and summary after the simulate phase (``runner.assemble``), and the rest
    (Python and numpy: set-up, months, yearly close), against the whole run's; and how many float32
    it drew.

    Every replication draws from its own streams, one uniform per active agent slot and column, and
    the compiled loops go over each replication's own rows, so both parts of R replications are R
    times one's (to the timing noise): this measures how much of a target's time the random-stream
    layout and the model's compiled work take (issue 15). The loops are loaded before the timed run,
    as in a command's workers."""
    from simulation.core import draws, runner

    config = compose_config(spec["overrides"])
    original = draws.MonthDraws.draw
    assemble = runner.assemble
    spent = {"cpu_s": 0.0, "floats": 0, "months": 0}
    loops: dict[str, float] = {}

    def timed(self, households_active, children_active, household_window, child_window):
        t = time.process_time()
        out = original(self, households_active, children_active, household_window, child_window)
        spent["cpu_s"] += time.process_time() - t
        for monthly in draws.MONTHLY:
            active = households_active if monthly.per == "household" else children_active
            spent["floats"] += int(active.sum()) * (len(monthly.columns) or 1)
        spent["months"] += 1
        spent.setdefault("implementations", set()).add(self.implementation)
        return out

    def timed_assemble(*args, **kwargs):     # the tables and their summary: after the simulate phase
        t = time.process_time()
        out = assemble(*args, **kwargs)
        spent["summarise_cpu_s"] = spent.get("summarise_cpu_s", 0.0) + time.process_time() - t
        return out

    # as a command's replication worker is before its batch (a fork of the warm server, which ran
    # simulation/app/preload.py's tiny run): numba started and the loops loaded from its cache,
    # outside the timing (else ≈ 0.3 s of numba's start lands in whichever loop runs first)
    from simulation.app import preload
    draws.MonthDraws.draw = timed
    runner.assemble = timed_assemble
    time_compiled_loops(loops)
    cpu0, t0 = cpu_s(), time.perf_counter()
    results = runner.run(config, progress=False)
    wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    # the draws' own compiled loop is inside MonthDraws.draw: counted there, not twice
    model_loops = {name: s for name, s in loops.items() if name != DRAWS_LOOP}
    return {"wall_s": wall, "cpu_s": cpu, "draws_cpu_s": spent["cpu_s"], "floats": spent["floats"],
            "draw_months": spent["months"], "replications": int(results.population["replication"].nunique()),
            "replications_expected": config.replications, "implementations": sorted(spent.get("implementations", ())),
            "loops_cpu_s": sum(model_loops.values()), "loops_by_name_cpu_s": dict(sorted(
                model_loops.items(), key=lambda kv: -kv[1])), "draws_loop_cpu_s": loops.get(DRAWS_LOOP, 0.0),
            "summarise_cpu_s": spent.get("summarise_cpu_s", 0.0), "loops_preloaded": preload.LOADED,
            "maxrss_kb": maxrss_kb()}


def run_explore_command(spec: dict) -> dict:
    """A ``sifsim explore`` command: wall, the CPU of every process it started, and the largest
    peak RSS among them (``ru_maxrss`` of the reaped children is a maximum, not a total).

    Its chunk workers are children of its fork server, not of the command; as subreaper
    (:func:`adopt_descendants`, called by :func:`main`) this process inherits and reaps them, so
    ``RUSAGE_CHILDREN`` counts them too.
    """
    t0 = time.perf_counter()
    proc = subprocess.run(spec["command"], cwd=spec["workdir"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    reap_descendants()
    return {"wall_s": wall, "cpu_s": cpu_s(resource.RUSAGE_CHILDREN), "returncode": proc.returncode,
            "stderr_tail": proc.stderr[-4000:], "maxrss_kb": max(maxrss_kb(resource.RUSAGE_CHILDREN), 0)}


def main(argv: list[str]) -> None:
    spec, out = json.loads(argv[1]), Path(argv[2])
    load = os.getloadavg()[0]
    adopt_descendants()
    opts = dict(zip(argv[3::2], argv[4::2]))
    if spec["kind"] == "reference":
        record = run_reference(spec)
    elif spec["kind"] == "sifsim":
        record = run_sifsim(spec, opts.get("--profile"))
    elif spec["kind"] == "sifsim_parallel":
        record = run_sifsim(spec, opts.get("--profile"), serial=False)
    elif spec["kind"] == "sweep":
        record = run_sweep(spec, opts.get("--mode", "serial"))
    elif spec["kind"] == "command":
        record = run_command(spec)
    elif spec["kind"] == "split":
        record = run_split(spec)
    elif spec["kind"] == "explore_command":
        record = run_explore_command(spec)
    else:
        raise SystemExit(f"unknown workload kind {spec['kind']!r}")
    record.update(name=spec["name"], kind=spec["kind"], overrides=spec["overrides"], loadavg_1m=load)
    out.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main(sys.argv)
