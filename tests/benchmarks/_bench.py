"""Benchmark workloads, the per-workload subprocess runner, and the one results table.

Every workload runs in a fresh Python process (``bench_worker.py``) so that its
peak memory (``ru_maxrss``) is its own and imports are not shared; the worker
writes one JSON record. The records of a pytest session are collected in
:data:`RESULTS` and printed as one table at the end (``conftest.py``), and
written to ``results/benchmarks/benchmark_<date>.md``.

``SIFSIM_BENCH_SMOKE=1`` shrinks every workload to seconds (CI smoke run).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER = HERE / "bench_worker.py"
SMOKE = os.environ.get("SIFSIM_BENCH_SMOKE", "") not in ("", "0")
RESULTS: list[dict] = []

BASE = ["charts=false", "progress=false", "seed=20140101"]


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str      # reference | sifsim | sifsim_parallel | command | split | sweep; explore: its own module
    overrides: tuple[str, ...]
    describe: str
    months: int = 0                # for the reference: months to simulate
    sweep_grid: tuple[str, ...] = field(default_factory=tuple)


def _workloads() -> dict[str, Workload]:
    """The rows of issue 15's table (full) or tiny versions of them (smoke)."""
    if SMOKE:
        # horizons at least the project's four years (2014–2017): a shorter one is refused
        ref_h, ref_months, default_reps, default_years = 1000, 24, 4, 4
        study_reps, city_h, city_reps, city_years, nat_h, nat_years = 2, 1000, 2, 4, 5000, 4
        sweep_reps, sweep_years = 2, 4
        split_city_reps, split_default_reps = 1, 2
    else:
        ref_h, ref_months, default_reps, default_years = 10_000, 60, 100, 25
        study_reps, city_h, city_reps, city_years, nat_h, nat_years = 20, 10_000, 50, 20, 200_000, 20
        sweep_reps, sweep_years = 20, 20
        split_city_reps, split_default_reps = 4, 50
    reference = ("population=city", f"population.households={ref_h}", "intervention=none",
                 "repayment=budget_model", "replications=1", f"horizon_years={ref_months // 12}", *BASE)
    city = ("population=city", f"population.households={city_h}", "intervention=hela_familjen_oster",
            "intervention.participants_households=500")
    return {
        "reference": Workload(
            "reference", "reference", reference, months=ref_months,
            describe=f"the yardstick: per-agent Mesa (one mesa.Agent per household), baseline EB dynamics, "
                     f"{ref_h:,} households × {ref_months} months, 1 arm"),
        "default_run": Workload(
            "default_run", "command", ("progress=false", f"replications={default_reps}",
                                       f"horizon_years={default_years}"),
            describe=f"the whole `sifsim` command on the default scenario (Öster, {default_reps} paired "
                     f"replications × {default_years} years): start-up, simulation, tables, charts, report"),
        "study": Workload(
            "study", "sifsim_parallel", (f"replications={study_reps}", f"horizon_years={default_years}", *BASE),
            describe=f"one study-sized run: default scenario, {study_reps} paired replications × "
                     f"{default_years} years (the unit an exploration design multiplies), all cores"),
        "city": Workload(
            "city", "sifsim_parallel", (*city, f"replications={city_reps}", f"horizon_years={city_years}", *BASE),
            describe=f"population=city, {city_h:,} starting households, {city_reps} paired replications × "
                     f"{city_years} years, Hela familjen (500 families), all repayment rules, all cores"),
        "national": Workload(
            "national", "sifsim",
            ("population=national", f"population.households={nat_h}", "intervention=hela_familjen_oster",
             "intervention.participants_households=500", "replications=1", f"horizon_years={nat_years}",
             *BASE),
            describe=f"population=national, {nat_h:,} households, {nat_years} years, 1 paired replication"),
        # two targets' runs split into the draws, the model's compiled loops and the rest: a few
        # replications serially, projected by replication count
        "split_default": Workload(
            "split_default", "split", (f"replications={split_default_reps}", f"horizon_years={default_years}",
                                       *BASE),
            describe=f"the default scenario split: {split_default_reps} paired replications × {default_years} "
                     f"years in one process (one worker's batch of default_run), the CPU inside MonthDraws.draw "
                     f"and inside the other compiled loops timed; projected to default_run's {default_reps} on "
                     f"all cores"),
        "split_city": Workload(
            "split_city", "split", (*city, f"replications={split_city_reps}", f"horizon_years={city_years}",
                                    *BASE),
            describe=f"city split: {split_city_reps} paired replications × {city_years} years in one process, "
                     f"the CPU inside MonthDraws.draw and inside the other compiled loops timed; projected to "
                     f"city's {city_reps} on all cores"),
        "sweep": Workload(
            "sweep", "sweep",
            (f"replications={sweep_reps}", f"horizon_years={sweep_years}", *BASE),
            sweep_grid=("intervention.effect_scale=0,1", "economy.discount_rate=0,0.5"),
            describe=f"2×2 sweep (effect_scale × discount rate), default scenario, {sweep_reps} replications "
                     f"× {sweep_years} years per job: joblib n_jobs=2 vs basic (serial) launcher"),
    }


WORKLOADS = _workloads()


def run_worker(workload: Workload, extra_args: tuple[str, ...] = (), spec_extra: dict | None = None) -> dict:
    """Run one workload in a fresh interpreter; return its JSON record. ``spec_extra``: more fields
    of the worker's spec (or ones it replaces, e.g. ``workdir``)."""
    with tempfile.TemporaryDirectory(prefix=f"sifsim-bench-{workload.name}-") as tmp:
        out = Path(tmp) / "record.json"
        spec = {"name": workload.name, "kind": workload.kind, "overrides": list(workload.overrides),
                "months": workload.months, "sweep_grid": list(workload.sweep_grid), "workdir": tmp,
                **(spec_extra or {})}
        cmd = [sys.executable, str(WORKER), json.dumps(spec), str(out), *extra_args]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"benchmark worker {workload.name} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        record = json.loads(out.read_text())
    record["describe"] = workload.describe
    return record


# --- the table --------------------------------------------------------------------------

def _fmt_rate(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x / 1e6:,.2f} M" if x >= 1e5 else f"{x:,.0f}"


def _fmt_count(n: float) -> str:
    return f"{n / 1e6:,.1f} M" if n >= 1e6 else f"{n:,.0f}"


def _fmt_cpu(r: dict) -> str:
    return f"{r['cpu_s']:.1f}" if r.get("cpu_s") is not None else "—"


def _fmt_mb(kb: float | None) -> str:
    return "—" if kb is None else f"{kb / 1024:,.0f}"


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines()
                          if l.startswith("MemTotal")).split()[1])
        mem = f", {mem_kb / 1024 ** 2:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        mem = ""
    return f"{cpu or 'unknown CPU'}, {os.cpu_count()} cores{mem}; {platform.platform()}; Python {platform.python_version()}"


def versions() -> str:
    from importlib import metadata
    out = []
    for name in ("mesa", "numpy", "pandas", "hydra-core", "joblib"):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def git_head() -> str:
    try:
        proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10)
        return proc.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


TARGETS = {
    "default_run": "issue 15: ≤ 8 s wall, simulate ≤ 2 s",
    "city": "issue 15: ≥ 30× the yardstick",
    "national": "issue 15: ≤ 12× the yardstick's time, ≤ 2 GB",
    "sweep_joblib": "≥ 1.7× serial",
}


#: what a split row is projected to: (the row it belongs to, the target's time in seconds, its label);
#: None: the target is a rate, its time comes from the yardstick (split_row)
SPLIT_TARGETS = {"split_default": ("default_run", 2.0, "the simulate target"),
                 "split_city": ("city", None, "the 30× target's time")}


def split_row(r: dict, by_name: dict, ref_rate: float | None) -> tuple[str, ...]:
    """A split workload's row: the CPU of its draws, of the model's compiled loops and of the rest,
    each projected to its target row's replications on all cores (a projection, labelled so; the
    draws and the loops together are a floor under that row's time), beside the target's time."""
    target_name, target_s, label = SPLIT_TARGETS[r["name"]]
    target_reps = next((int(o.split("=")[1]) for o in WORKLOADS[target_name].overrides
                        if o.startswith("replications=")), r["replications"])
    cores = os.cpu_count() or 1

    def projected(cpu: float) -> float:
        return cpu / max(r["replications"], 1) * target_reps / cores

    if target_s is None:
        count = (by_name.get(target_name) or {}).get("nominal_household_months")
        target_s = count / (30 * ref_rate) if count and ref_rate else None
    draws, loops, summarise = r["draws_cpu_s"], r.get("loops_cpu_s", 0.0), r.get("summarise_cpu_s", 0.0)
    rest = r["cpu_s"] - draws - loops - summarise
    cpu = r["cpu_s"] or float("nan")      # shares of a run that took no measurable CPU: nan, not a crash
    top = ", ".join(f"{name} {s:.2f}" for name, s in list((r.get("loops_by_name_cpu_s") or {}).items())[:4])
    note = (f"of the run's {r['cpu_s']:.1f} s CPU: draws {draws:.2f} s ({draws / cpu:.0%}; "
            f"{_fmt_count(r['floats'])} float32, {1e9 * draws / max(r['floats'], 1):.2f} ns each, "
            f"{'/'.join(r.get('implementations') or ['?'])}), "
            + (f"the model's compiled loops {loops:.2f} s ({loops / cpu:.0%}; {top})" if top else
               "no compiled loop ran (numpy's path: the loops' work is in the rest)")
            + f", the rest of the simulation (Python and "
            f"numpy: set-up, months, yearly close) {rest:.2f} s ({rest / cpu:.0%}), the tables' summary "
            f"after it {summarise:.2f} s. × {target_reps}/{r['replications']} replications ÷ {cores} cores "
            f"(**a projection**): draws {projected(draws):.2f} s + compiled loops {projected(loops):.2f} s "
            f"= **{projected(draws + loops):.2f} s of wall**, the rest of the simulation {projected(rest):.2f} s "
            f"({target_name})")
    if target_s:
        note += (f"; against {label} {target_s:.2f} s: the draws {projected(draws) / target_s:.0%} of it, "
                 f"draws and compiled loops {projected(draws + loops) / target_s:.0%}")
    return (r["name"], f"{r['wall_s']:.1f}", "—", _fmt_cpu(r), "—", "—", _fmt_mb(r["maxrss_kb"]), note)


def _range_mb(kbs: list[float]) -> str:
    lo, hi = min(kbs) / 1024, max(kbs) / 1024
    return f"≈{lo:.0f} MB" if round(lo) == round(hi) else f"≈{lo:.0f}–{hi:.0f} MB"


def table(records: list[dict]) -> str:
    """The one benchmark table (markdown), with its footnotes.

    Rates count *starting* households × months × arms × replications (issue 15),
    so a figure means the same from one version to the next; the yardstick's
    rate counts its households present each month (one arm).
    """
    by_name = {r["name"]: r for r in records}
    ref = by_name.get("reference")
    ref_rate = ref["household_months"] / ref["wall_s"] if ref else None
    rows = []
    for r in records:
        if r["kind"] == "sweep":
            serial, parallel = r["serial"], r["parallel"]
            speedup = serial["wall_s"] / parallel["wall_s"]
            jobs_speedup = serial["phases_s"]["jobs"] / parallel["phases_s"]["jobs"]
            rows.append(("sweep_serial", f"{serial['wall_s']:.1f}", "—", _fmt_cpu(serial), "—", "—",
                         _fmt_mb(serial["maxrss_kb"]), "4 jobs, hydra/launcher=basic; " + _fmt_phases(serial)))
            rows.append(("sweep_joblib", f"{parallel['wall_s']:.1f}", "—", _fmt_cpu(parallel), "—", "—",
                         _fmt_mb(parallel["maxrss_kb"]),
                         f"4 jobs, joblib n_jobs=2: **speed-up {speedup:.2f}×** ({TARGETS['sweep_joblib']}), "
                         f"of the jobs' part {jobs_speedup:.2f}×; " + _fmt_phases(parallel)))
            continue
        if r["kind"] == "explore":     # test_explore_benchmark.py: a whole `sifsim explore` command
            design = r["timings_s"]["design"]
            rows.append((r["name"], f"{r['wall_s']:.1f}", f"{design:.1f} (design)", _fmt_cpu(r), "—", "—",
                         _fmt_mb(r["maxrss_kb"]), f"{r['points']:,} design points × {r['replications']} replications "
                         f"= {r['runs']:,} paired replications" + (f"; {r['note']}" if r.get("note") else "")))
            continue
        if r["kind"] == "split":
            rows.append(split_row(r, by_name, ref_rate))
            continue
        simulate = (r.get("timings_s") or {}).get("simulate")
        if r["name"] == "reference":
            rows.append(("reference", f"{r['wall_s']:.1f}", "—", _fmt_cpu(r), _fmt_rate(ref_rate), "1×",
                         _fmt_mb(r["maxrss_kb"]),
                         f"{_fmt_count(r['household_months'])} household-months present"))
            continue
        count = r.get("nominal_household_months") or 0
        rate = count / (simulate or r["wall_s"]) if count else None
        ratio = f"{rate / ref_rate:,.1f}×" if rate and ref_rate else "—"
        note = f"{_fmt_count(count)} starting household-months"
        if r.get("household_months"):
            note += f" ({_fmt_count(r['household_months'])} counting every household present)"
        if r["name"] == "national" and ref:
            note += f"; **{r['wall_s'] / ref['wall_s']:.1f}× the yardstick's time**"
        if r.get("charts"):
            note += f"; {r['charts']} charts"
        if r["name"] in TARGETS:
            note += f" ({TARGETS[r['name']]})"
        rows.append((r["name"], f"{r['wall_s']:.1f}", f"{simulate:.1f}" if simulate else "—", _fmt_cpu(r),
                     _fmt_rate(rate), ratio, _fmt_mb(r["maxrss_kb"]), note))
    header = ("workload", "wall (s)", "simulate (s)", "CPU (s)", "starting household-months/s",
              "× yardstick", "peak RSS (MB)", "notes")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    described = "\n".join(f"- `{r['name']}`: {r['describe']}" for r in records)
    import_kb = [r["rss_before_kb"] for r in records if r.get("rss_before_kb")]
    foot = [
        "",
        "Workloads:",
        described,
        "",
        "- **starting household-months** = households on benefit at the start × months × arms × "
        "replications (issue 15's counting: the same figure from one version to the next, whatever the "
        "inflow and retirement). The rate divides it by the simulate phase (`run()`'s own timing: the "
        "synthetic population, the months, the tables) where there is one, else by the wall time. The "
        "count of every household present (retired ones included) is given beside it where measured.",
        "- **× yardstick** = that rate ÷ the yardstick's household-months/s in the same session.",
        "- **wall**: `default_run`, `explore_*` and sweeps: the whole command; others: `run(config)` only (imports and "
        "config composition excluded). **CPU**: user + system seconds of the process and its children.",
        "- **peak RSS**: `ru_maxrss` of a fresh process per workload (whole process: Python, numpy, pandas, "
        "Mesa and Hydra imports are "
        + (_range_mb(import_kb) + " of it" if import_kb else "included")
        + "); commands and sweeps: the largest child process.",
        "- Load: 1-minute load average when each workload started: "
        + ", ".join(f"{r['name']} {r['loadavg_1m']:.1f}" for r in _flat(records) if "loadavg_1m" in r)
        + f" (on {os.cpu_count()} cores; above ≈1 means something else was running alongside).",
        "- No target is asserted; the benchmark tests check correctness facts only (months simulated, arms, "
        "identical sweep outputs serial vs parallel).",
    ]
    return "\n".join(lines + foot)


def _fmt_phases(record: dict) -> str:
    """A sweep's wall in its parts (bench_worker.sweep_phases)."""
    p = record["phases_s"]
    return (f"before the jobs {p['before_jobs']:.1f} s, jobs {p['jobs']:.1f} s (their own walls sum to "
            f"{p['jobs_own_sum']:.1f} s), after them {p['after_jobs']:.1f} s")


def _flat(records: list[dict]) -> list[dict]:
    out = []
    for r in records:
        if r["kind"] == "sweep":
            out += [{**r["parallel"], "name": "sweep_joblib"}, {**r["serial"], "name": "sweep_serial"}]
        else:
            out.append(r)
    return out


def report(records: list[dict]) -> str:
    now = _dt.datetime.now()
    head = [f"# sifsim benchmarks{' (SMOKE: tiny workloads, not the targets)' if SMOKE else ''}",
            "",
            f"Measured {now:%Y-%m-%d %H:%M}; model at git {git_head()} plus any uncommitted changes in the "
            "working tree at that moment.",
            f"Machine: {machine()}.",
            f"Packages: {versions()}.",
            "Reproduce: `make bench` (= `pytest tests/benchmarks -m benchmark -s -p no:xdist`); "
            "smoke: `make bench-smoke`.",
            "",
            ""]
    return "\n".join(head) + table(records) + "\n"


def write_report(records: list[dict]) -> Path:
    text = report(records)
    folder = REPO / "results" / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"benchmark_{_dt.date.today():%Y-%m-%d}{'_smoke' if SMOKE else ''}.md"
    path.write_text(text)
    path.with_suffix(".json").write_text(json.dumps(records, indent=2, default=str))
    return path
