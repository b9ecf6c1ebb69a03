"""Sweeps: each job's outcome on disk, the sweep table, the sweep callback.

Hydra runs the sweep (its sweeper, and whichever launcher is chosen: basic,
joblib, submitit, ray). This module adds what Hydra leaves to the app (the
grid is listed and checked in advance by :mod:`simulation.app.grid`):

* Each job records its outcome in its own folder: ``done.json`` (written last,
  atomically, naming the job's overrides and result files) or ``error.json``.
  A job whose folder already holds a complete result for the same overrides is
  skipped, so re-running a sweep into the same ``hydra.sweep.dir`` resumes it.
* :func:`aggregate` builds ``sweep_summary.csv`` and ``.parquet`` from the job
  folders: one row per job and metric, the job's overrides as columns, plus
  ``job``, ``status`` and ``error``. :class:`SweepCallback` calls it at the end
  of every sweep; ``sifsim aggregate SWEEP_DIR`` does it by hand.
* :class:`SweepCallback` records the sweep's outcome (:class:`SweepOutcome`) in
  the file ``sifsim`` gives it (:func:`outcome_file`), which reads it after
  Hydra returns: its exit code, and the table still to build if Hydra stopped
  on a failed launcher.

Hydra's ``on_multirun_end`` gets no job results and does not run if a job
raised, which is why each job writes its own files and never raises in a sweep.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from simulation.app.grid import BASIC_SWEEPER, expand_grid, parse_overrides
from simulation.app.outputs import atomic_write, write_table
from simulation.present.yaml_read import SAFE_LOADER

log = logging.getLogger("sifsim.sweep")

DONE = "done.json"
ERROR = "error.json"
SUMMARY_STEM = "sweep_summary"
RESERVED_COLUMNS = ("job", "status", "rule", "metric", "mean", "p10", "p50", "p90", "error",
                    "wall_time_s")
#: set by ``sifsim`` while Hydra runs: the file :class:`SweepCallback` records the sweep's outcome in
#: (``hydra.callbacks.sweep_summary.outcome_file`` in conf/config.yaml reads it)
OUTCOME_ENV = "SIFSIM_SWEEP_OUTCOME"


def _override_columns(lines: Sequence[str]) -> dict[str, Any]:
    """``{"intervention.effect_scale": 0.5, "experiment": "x"}`` from a job's override lines."""
    out: dict[str, Any] = {}
    for o in parse_overrides(lines):
        if o.is_hydra_override():
            continue
        value = o.value()
        if isinstance(value, (list, dict)) or value is None:
            value = o.get_value_element_as_str()
        key = o.key_or_group if o.package is None else f"{o.key_or_group}@{o.package}"
        out[f"override:{key}" if key in RESERVED_COLUMNS else key] = value
    return out



# --- job records -----------------------------------------------------------------------

def _atomic_json(path: Path, data: dict) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str)))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def result_files(folder: Path) -> dict[str, int]:
    """Files a run wrote (name -> size), Hydra's own and our markers excluded."""
    return {p.name: p.stat().st_size for p in sorted(Path(folder).iterdir())
            if p.is_file() and p.name not in (DONE, ERROR) and not p.name.startswith(".")
            and not p.name.endswith(".log") and p.name != LOCK}


def resolved_config_hash(cfg: DictConfig) -> str:
    """Hash of a job's whole resolved config (the ``hydra`` node left out): what resume keys on.

    Editing a file in ``conf/`` changes it, so a sweep re-run after such an edit re-runs the job
    instead of resuming into results of the old config.
    """
    from omegaconf import OmegaConf
    plain = OmegaConf.masked_copy(cfg, [k for k in cfg.keys() if k != "hydra"]) if "hydra" in cfg else cfg
    text = json.dumps(OmegaConf.to_container(plain, resolve=True), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_complete(folder: Path, overrides: Sequence[str], config_hash: str | None = None) -> bool:
    """True if ``folder`` holds a finished result for exactly these overrides (and, given one,
    this resolved config hash)."""
    done = _read_json(Path(folder) / DONE)
    if not done or sorted(done.get("overrides", [])) != sorted(overrides):
        return False
    if config_hash is not None and done.get("config_hash") != config_hash:
        return False
    for name, size in done.get("files", {}).items():
        path = Path(folder) / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return "summary.csv" in done.get("files", {})


ATTEMPT = ".sifsim-attempt.json"


def start_job(folder: Path, *, remove_earlier: bool = True) -> list[str]:
    """Before a job (re)runs in ``folder``: remove its earlier attempt's files, forget its outcome.

    Only what an earlier attempt of sifsim wrote goes: the files its ``done.json`` lists, and
    files that were not there when that attempt started (its ``.sifsim-attempt.json`` lists
    what was). Anything else in the folder stays. Returns the names removed.
    Without ``remove_earlier`` (a single run: its folder may be an earlier run the user
    pointed at) only the outcome markers go.
    """
    folder = Path(folder)
    removed: list[str] = []
    if not remove_earlier:
        for name in (DONE, ERROR):
            (folder / name).unlink(missing_ok=True)
        return removed
    done = _read_json(folder / DONE) or {}
    attempt = _read_json(folder / ATTEMPT)
    earlier = set(done.get("files", {}))
    if attempt is not None and folder.is_dir():
        before = set(attempt.get("files_before", []))
        earlier |= {name for name in result_files(folder) if name not in before}
    for name in sorted(earlier):
        path = folder / name
        if path.is_file() and path.parent == folder:
            path.unlink()
            removed.append(name)
    for name in (DONE, ERROR):
        (folder / name).unlink(missing_ok=True)
    if folder.is_dir():
        _atomic_json(folder / ATTEMPT, {"pid": os.getpid(), "files_before": sorted(result_files(folder))})
    return removed


def write_done(folder: Path, overrides: Sequence[str], job: int | None, wall_time_s: float,
               config_hash: str | None = None) -> None:
    """The completion marker, written last and atomically: a folder without it is not complete."""
    _atomic_json(Path(folder) / DONE, {
        "status": "ok", "job": job, "overrides": list(overrides), "config_hash": config_hash,
        "wall_time_s": round(wall_time_s, 3), "files": {
            name: size for name, size in result_files(folder).items()
            if name not in set((_read_json(Path(folder) / ATTEMPT) or {}).get("files_before", []))},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    })


def write_error(folder: Path, overrides: Sequence[str], job: int | None, exc: BaseException,
                wall_time_s: float) -> None:
    from scenarios.validation import ConfigError
    Path(folder).mkdir(parents=True, exist_ok=True)
    message = "; ".join(exc.problems) if isinstance(exc, ConfigError) else str(exc)
    _atomic_json(Path(folder) / ERROR, {
        "status": "failed", "job": job, "overrides": list(overrides),
        "error": f"{type(exc).__name__}: {message}",
        "traceback": "".join(traceback.format_exception(exc)),
        "wall_time_s": round(wall_time_s, 3),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    })


# --- aggregation -------------------------------------------------------------------------

def _job_folders(sweep_dir: Path) -> list[Path]:
    return sorted(p.parent.parent for p in Path(sweep_dir).rglob(".hydra/overrides.yaml"))


def _job_number(folder: Path, record: dict | None) -> int | None:
    if record and record.get("job") is not None:
        return int(record["job"])
    try:
        return int(yaml.load((folder / ".hydra" / "hydra.yaml").read_text(), Loader=SAFE_LOADER)["hydra"]["job"]["num"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return int(folder.name) if folder.name.isdigit() else None


def expected_jobs(sweep_dir: Path) -> list[list[str]] | None:
    """The grid of the last sweep into ``sweep_dir`` (from Hydra's multirun.yaml), if a basic sweep."""
    path = Path(sweep_dir) / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        conf = yaml.load(path.read_text(), Loader=SAFE_LOADER)
        sweeper = conf["hydra"]["sweeper"]
        if sweeper.get("_target_", BASIC_SWEEPER) != BASIC_SWEEPER:
            return None
        return expand_grid(sweeper.get("params") or {}, conf["hydra"]["overrides"]["task"])
    except Exception:  # noqa: BLE001 - an unreadable grid only loses the 'missing' rows
        return None


def _tidy_column(values: pd.Series) -> pd.Series:
    kinds = {type(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if kinds <= {int, float} or len(kinds) <= 1:
        return values
    return values.map(lambda v: None if v is None else str(v))


def collect(sweep_dir: Path) -> pd.DataFrame:
    """The sweep table: one row per job and metric (one row for a job without results)."""
    sweep_dir = Path(sweep_dir)
    grid = expected_jobs(sweep_dir)
    in_grid = {tuple(sorted(j)): i for i, j in enumerate(grid)} if grid is not None else None
    seen: set[tuple[str, ...]] = set()
    frames: list[pd.DataFrame] = []
    for folder in _job_folders(sweep_dir):
        overrides = yaml.load((folder / ".hydra" / "overrides.yaml").read_text(), Loader=SAFE_LOADER) or []
        done, error = _read_json(folder / DONE), _read_json(folder / ERROR)
        record = done or error
        head: dict[str, Any] = {"job": _job_number(folder, record)}
        key = tuple(sorted(overrides))
        body = pd.DataFrame([{}])
        if in_grid is not None and key not in in_grid:
            head["status"] = "stale"
            head["error"] = "not part of the last sweep into this folder (its grid changed)"
        elif is_complete(folder, overrides):
            head["status"], head["error"] = "ok", None
            body = pd.read_csv(folder / "summary.csv")
        else:
            head["status"] = "failed" if error else "incomplete"
            head["error"] = error.get("error") if error else \
                "no result: the job was interrupted or is still running"
        seen.add(key)
        head["wall_time_s"] = record.get("wall_time_s") if record else None
        cols = {**head, **_override_columns(overrides)}
        frames.append(body.assign(**{k: [v] * len(body) for k, v in cols.items()}))
    for i, job in enumerate(grid or []):
        if tuple(sorted(job)) not in seen:
            frames.append(pd.DataFrame([{"job": i, "status": "missing", "error": "never started",
                                         "wall_time_s": None, **_override_columns(job)}]))
    if not frames:
        return pd.DataFrame(columns=["job", "status", "rule", "metric", "mean", "p10", "p50", "p90",
                                     "error", "wall_time_s"])
    table = pd.concat(frames, ignore_index=True, sort=False)
    override_cols = [c for c in table.columns if c not in RESERVED_COLUMNS]
    for c in ("rule", "metric", "mean", "p10", "p50", "p90"):
        if c not in table:
            table[c] = None
    table["_order"] = range(len(table))
    table = table.sort_values(["job", "_order"], kind="stable", na_position="last").drop(columns="_order")
    table = table[["job", "status", *override_cols, "rule", "metric", "mean", "p10", "p50", "p90",
                   "error", "wall_time_s"]]
    for c in override_cols:
        table[c] = _tidy_column(table[c])
    table["job"] = table["job"].astype("Int64")
    table["error"] = table["error"].astype("string")
    return table.reset_index(drop=True)


def aggregate(sweep_dir: Path) -> pd.DataFrame:
    """Write ``sweep_summary.csv`` and ``.parquet`` into ``sweep_dir`` (each written, then renamed)."""
    table = collect(Path(sweep_dir))
    write_table(table, Path(sweep_dir), SUMMARY_STEM)
    return table


def job_status(table: pd.DataFrame) -> pd.DataFrame:
    """One row per job (and status: a stale folder and a missing job may share a number)."""
    return table.drop_duplicates(["job", "status"])[["job", "status", "error"]].reset_index(drop=True)


def describe(sweep_dir: Path, table: pd.DataFrame) -> str:
    jobs = job_status(table)
    counts = jobs["status"].value_counts()
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines = [f"Sweep summary: {Path(sweep_dir) / (SUMMARY_STEM + '.csv')} ({len(jobs)} jobs: {parts})"]
    for _, r in jobs[jobs["status"] != "ok"].iterrows():
        lines.append(f"  job {r['job']}: {r['status']}: {r['error']}")
    if (jobs["status"] != "ok").any():
        lines.append(f"Re-run the same command with hydra.sweep.dir={Path(sweep_dir).resolve()} "
                     "to run only the jobs without a result.")
    return "\n".join(lines)


# --- one sweep at a time per sweep dir; nothing left running on SIGTERM -------------------

LOCK = ".sifsim-sweep.lock"


class SweepLocked(RuntimeError):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(sweep_dir: Path) -> Path:
    """Take ``sweep_dir``'s lock (a file naming this pid); a lock of a dead pid is taken over.

    Raises :class:`SweepLocked` while another live sifsim holds it.
    """
    path = Path(sweep_dir) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_json(path) or {}
            pid = holder.get("pid")
            if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
                raise SweepLocked(f"hydra.sweep.dir={sweep_dir}: another sweep (pid {pid}, started "
                                  f"{holder.get('started', '?')}) is running into this folder; allowed: "
                                  "wait for it to end, or choose another hydra.sweep.dir") from None
            if pid == os.getpid():
                return path
            path.unlink(missing_ok=True)       # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}, f)
        return path
    raise SweepLocked(f"hydra.sweep.dir={sweep_dir}: could not take the sweep lock {path}")


def release_lock(sweep_dir: Path) -> None:
    """Remove ``sweep_dir``'s lock if this process holds it."""
    path = Path(sweep_dir) / LOCK
    holder = _read_json(path) or {}
    if holder.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), deepest last."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def terminate_children(grace_s: float = 3.0) -> None:
    """SIGTERM every descendant of this process, then SIGKILL what is still there after ``grace_s``."""
    kids = _children(os.getpid())
    for pid in kids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + grace_s
    while time.time() < deadline and any(_alive(p) and _is_child_alive(p) for p in kids):
        time.sleep(0.1)
    for pid in _children(os.getpid()) + kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _is_child_alive(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:       # not our direct child: alive is what kill(0) says
        return _alive(pid) and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


@contextmanager
def terminate_children_on_sigterm() -> Iterator[None]:
    """While the block runs, SIGTERM stops this process's workers too (loky, submitit local) and
    ends the process with exit 143: no job keeps running, or writes done.json, after sifsim died."""
    def handler(signum, frame):  # noqa: ARG001
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        terminate_children()
        print("sifsim: stopped (SIGTERM); workers stopped; re-run the same command to resume",
              file=sys.stderr)
        raise SystemExit(128 + signum)
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclasses.dataclass
class SweepOutcome:
    """What a sweep ended with, as :class:`SweepCallback` records it for ``sifsim``."""

    dir: str
    aggregated: bool = False           # the sweep table was built (on_multirun_end ran)
    not_ok: list[int | None] = dataclasses.field(default_factory=list)   # jobs without a complete result

    def write(self, path: Path) -> None:
        _atomic_json(Path(path), dataclasses.asdict(self))

    @classmethod
    def read(cls, path: Path) -> SweepOutcome | None:
        data = _read_json(Path(path))
        return cls(**data) if data else None


@contextmanager
def outcome_file() -> Iterator[Path]:
    """A file for this process's sweep callback to record the sweep's outcome in (removed on exit).

    Its path is in ``$SIFSIM_SWEEP_OUTCOME`` while the block runs, which
    ``hydra.callbacks.sweep_summary.outcome_file`` passes to :class:`SweepCallback`.
    """
    previous = os.environ.get(OUTCOME_ENV)
    with tempfile.TemporaryDirectory(prefix="sifsim-sweep-") as tmp:
        path = Path(tmp) / "outcome.json"
        os.environ[OUTCOME_ENV] = str(path)
        try:
            yield path
        finally:
            if previous is None:
                os.environ.pop(OUTCOME_ENV, None)
            else:
                os.environ[OUTCOME_ENV] = previous


class SweepCallback(Callback):
    """Hydra callback (``hydra.callbacks`` in conf/config.yaml): progress and the sweep table.

    Args:
        outcome_file: where to record the sweep's :class:`SweepOutcome` (given by
            ``sifsim``, see :func:`outcome_file`); None records nothing.
    """

    def __init__(self, outcome_file: str | None = None) -> None:
        self.outcome_file = Path(outcome_file) if outcome_file else None

    def _record(self, outcome: SweepOutcome) -> None:
        if self.outcome_file is not None:
            outcome.write(self.outcome_file)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            acquire_lock(Path(config.hydra.sweep.dir))
        except SweepLocked as exc:
            print(f"sweep not started: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        self._record(SweepOutcome(dir=str(config.hydra.sweep.dir)))

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """One progress line per finished job (runs in the worker, so it counts on disk).

        A job counts as finished in this sweep if Hydra wrote its ``.hydra`` files
        after the sweep started (it has started) and it has a marker; jobs skipped
        on resume count too. Above 100 jobs a line every 2 % of the grid.
        """
        from hydra.types import RunMode
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        sweep_dir = Path(config.hydra.sweep.dir)
        grid = expected_jobs(sweep_dir)
        total = len(grid) if grid is not None else None
        multirun_yaml = sweep_dir / "multirun.yaml"
        started = multirun_yaml.stat().st_mtime if multirun_yaml.exists() else 0.0
        done = failed = 0
        for folder in _job_folders(sweep_dir):
            try:
                if (folder / ".hydra" / "overrides.yaml").stat().st_mtime < started - 1:
                    continue  # not (yet) started in this sweep
            except OSError:
                continue
            done += (folder / DONE).exists()
            failed += (folder / ERROR).exists()
        finished = done + failed
        step = 1 if not total or total <= 100 else math.ceil(total / 50)
        if total and finished % step and finished != total:
            return
        elapsed = time.time() - started if started else 0.0
        left = f", ≈{elapsed / finished * (total - finished):.0f} s left" if total and finished else ""
        log.info(f"sweep: {finished}/{total or '?'} jobs finished"
                 f"{f' ({failed} failed)' if failed else ''}, {elapsed:.0f} s{left}")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        # the sweep's own charts and report are cheap: drawn unless sweep_charts=false, even when
        # each job's charts are off (charts=false)
        table = finish_sweep(sweep_dir, charts=bool(config.get("sweep_charts", True)),
                             language=str(config.get("language", "sv")), workers=chart_workers(config.get("workers")))
        self._record(SweepOutcome(dir=str(sweep_dir), aggregated=True, not_ok=not_ok_jobs(table)))
        release_lock(sweep_dir)


def chart_workers(workers: Any) -> int | None:
    """The sweep charts' processes from the sweep's ``workers`` (None: one per core; a swept value
    such as ``1,2`` is not one number: 1)."""
    if workers is None:
        return None
    return workers if isinstance(workers, int) and not isinstance(workers, bool) and workers >= 1 else 1


def not_ok_jobs(table: pd.DataFrame) -> list[int | None]:
    """Numbers of the jobs without a complete result (failed, incomplete, stale, missing)."""
    jobs = job_status(table)
    return [None if pd.isna(j) else int(j) for j in jobs[jobs["status"] != "ok"]["job"]]


def finish_sweep(sweep_dir: Path, *, charts: bool = False, language: str = "sv",
                 workers: int | None = 1) -> pd.DataFrame:
    """Build the sweep table (and, with ``charts``, the sweep's charts and report, drawn by
    ``workers`` processes: None = one per core, as the config key ``workers``); print where it is."""
    table = aggregate(sweep_dir)
    if charts:
        try:
            from simulation.present.report import build_sweep_report
            # the workers fork from the process's fork server: the command's warm one if it runs
            # (its preload covers the charts), else one preloaded with the chart modules only
            build_sweep_report(sweep_dir, language, workers=workers if workers is not None else (os.cpu_count() or 1))
        except Exception as exc:  # noqa: BLE001 - the table is written; charts can be redone
            print(f"sweep charts failed ({type(exc).__name__}: {exc}); the table is complete",
                  file=sys.stderr)
    print(describe(sweep_dir, table))
    return table


def aggregate_main(argv: list[str]) -> int:
    """``sifsim aggregate SWEEP_DIR [--charts] [--language sv|en]``: rebuild the sweep table."""
    import argparse
    parser = argparse.ArgumentParser(prog="sifsim aggregate",
                                     description="Rebuild sweep_summary.csv/.parquet from a sweep folder's jobs.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--charts", action="store_true", help="also (re)draw the sweep charts/report")
    parser.add_argument("--language", choices=("sv", "en"), default="sv")
    args = parser.parse_args(argv)
    if (args.folder / ".hydra" / "overrides.yaml").is_file() and not (args.folder / "multirun.yaml").exists():
        print(f"sifsim aggregate: {args.folder} is a run folder, not a sweep folder; nothing written "
              f"(sifsim report {args.folder} redraws a run's report)", file=sys.stderr)
        return 2
    if not args.folder.is_dir() or not (_job_folders(args.folder) or (args.folder / "multirun.yaml").exists()):
        parser.error(f"{args.folder} is not a sweep folder (no job folders, no multirun.yaml)")
    table = finish_sweep(args.folder, charts=args.charts, language=args.language)
    return 0 if (job_status(table)["status"] == "ok").all() else 1
