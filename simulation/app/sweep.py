"""Sweeps: check a whole grid before launching, keep each job's outcome on disk, aggregate.

Hydra runs the sweep (its sweeper, and whichever launcher is chosen: basic,
joblib, submitit, ray). This module adds what Hydra leaves to the app:

* :func:`expand_grid` lists a sweep's jobs in the order Hydra's basic sweeper
  launches them, and :class:`GridChecker` checks each job's whole config
  (``sifsim validate``, and the check ``sifsim`` makes before it starts).
* Each job records its outcome in its own folder: ``done.json`` (written last,
  atomically, naming the job's overrides and result files) or ``error.json``.
  A job whose folder already holds a complete result for the same overrides is
  skipped, so re-running a sweep into the same ``hydra.sweep.dir`` resumes it.
* :func:`aggregate` builds ``sweep_summary.csv`` and ``.parquet`` from the job
  folders: one row per job and metric, the job's overrides as columns, plus
  ``job``, ``status`` and ``error``. :class:`SweepCallback` calls it at the end
  of every sweep; ``sifsim aggregate SWEEP_DIR`` does it by hand.

Hydra's ``on_multirun_end`` gets no job results and does not run if a job
raised, which is why each job writes its own files and never raises in a sweep.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import json
import logging
import math
import os
import re
import sys
import time
import traceback
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger("sifsim.sweep")

DONE = "done.json"
ERROR = "error.json"
SUMMARY_STEM = "sweep_summary"
#: Test hook: a job whose overrides include this env var's value raises (tests of failure and resume).
FAIL_ENV = "SIFSIM_TEST_FAIL_OVERRIDE"
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
RESERVED_COLUMNS = ("job", "status", "rule", "metric", "mean", "p10", "p50", "p90", "error",
                    "wall_time_s")


# --- overrides and grids -------------------------------------------------------------

def parse_overrides(lines: Sequence[str]) -> list:
    """Hydra's own parser (``hydra.core.override_parser``): the same grammar as the command line."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    return OverridesParser.create().parse_overrides(list(lines))


def task_overrides(lines: Sequence[str]) -> list[str]:
    """The overrides that reach the job (``hydra.*`` ones configure Hydra itself)."""
    return [o.input_line for o in parse_overrides(lines) if not o.is_hydra_override()]


def expand_grid(params: Mapping[str, Any] | None, arguments: Sequence[str]) -> list[list[str]]:
    """Every job of a sweep, in the order (= job numbers) of Hydra's basic sweeper.

    Args:
        params: ``hydra.sweeper.params`` (from the config, e.g. an experiment file).
        arguments: the command-line overrides; on the same key they win over ``params``.

    Mirrors ``BasicSweeper.split_arguments`` of Hydra 1.3: one list per key in
    order of first appearance, their Cartesian product.
    """
    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(arguments)
    per_key: dict[str, list[str]] = {}
    for o in parse_overrides(lines):
        if o.is_hydra_override():
            continue
        key = o.get_key_element()
        if o.is_sweep_override():
            if not o.is_discrete_sweep():
                raise ValueError(f"{o.input_line}: only choice (a,b,c) and range() sweeps can be "
                                 "listed in advance; intervals need a sweeper such as Optuna")
            per_key[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
        else:
            per_key[key] = [f"{key}={o.get_value_element_as_str()}"]
    return [list(job) for job in itertools.product(*per_key.values())]


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


# --- checking configs ----------------------------------------------------------------

def config_groups(conf_dir: str | Path) -> set[str]:
    """Config groups in our conf dir (``municipality``, ``experiment``, ``hydra/launcher``, ...)."""
    root = Path(conf_dir)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def group_options(conf_dir: str | Path, group: str) -> list[str]:
    return sorted(p.stem for p in (Path(conf_dir) / group).glob("*.yaml"))


def _unwrap_optional(tp: Any) -> Any:
    while typing.get_origin(tp) in (typing.Union, types.UnionType):   # Optional[X] -> X
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _schema_type(path: Sequence[str]) -> tuple[Any, dict[str, Any]]:
    """(annotation, range metadata) of a dotted key in the schema; (None, {}) if unknown."""
    from scenarios.schema import SifsimConfig
    tp: Any = SifsimConfig
    meta: dict[str, Any] = {}
    parts: list[str] = []
    for part in path:                       # "hours[1]" is the field "hours", then one element
        name, index = re.fullmatch(r"(.*?)((?:\[\d+\])*)", part).groups()
        parts += [name] + ["[]"] * index.count("[")
    for part in parts:
        tp = _unwrap_optional(tp)
        if part != "[]" and dataclasses.is_dataclass(tp):
            fields = {f.name: f for f in dataclasses.fields(tp)}
            if part not in fields:
                return None, {}
            tp, meta = typing.get_type_hints(tp)[part], dict(fields[part].metadata)
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
        else:
            return None, {}
    return _unwrap_optional(tp), meta


def _type_name(tp: Any) -> str:
    if tp is None:
        return "a value"
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _expected(key: str) -> str:
    from scenarios.validation import _describe_range
    tp, meta = _schema_type(key.split("."))
    text = _type_name(tp)
    if meta.get("choices"):
        return f"{text}, one of {', '.join(meta['choices'])}"
    if meta.get("lo") is not None or meta.get("hi") is not None:
        return f"{text}, {_describe_range(meta)}"
    return text


def _known_keys(parent: str) -> list[str]:
    tp, _ = _schema_type(parent.split(".") if parent else [])
    return [f.name for f in dataclasses.fields(tp)] if dataclasses.is_dataclass(tp) else []


def describe_override_error(override, exc: BaseException, conf_dir: str | Path) -> str:
    """One line naming the key, the value given and what is allowed."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    line = getattr(override, "input_line", None) or str(override)
    cause = exc.__cause__ or exc
    if isinstance(exc, OverrideParseException):
        return f"{line}: not a valid override ({exc.message.splitlines()[0]})"
    if isinstance(exc, MissingConfigException) or isinstance(cause, MissingConfigException):
        group = override.key_or_group
        options = (getattr(cause, "options", None) or group_options(conf_dir, group))
        allowed = ", ".join(options) if options else "(none yet)"
        return f"{group}={override.value()!s}: no such option in config group '{group}'; allowed: {allowed}"
    key = getattr(override, "key_or_group", line)
    value = override.get_value_element_as_str() if hasattr(override, "get_value_element_as_str") else ""
    if isinstance(cause, (ConfigKeyError, ConfigAttributeError)) and not isinstance(cause, ValidationError):
        parent, _, name = key.rpartition(".")
        known = _known_keys(parent)
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {parent + '.' if parent else ''}{near[0]}? " if near else ""
        where = f"'{parent}'" if parent else "the top level"
        allowed = f"allowed keys at {where}: {', '.join(known)}" if known else f"'{parent}' takes no new keys"
        return f"{key}={value}: unknown key; {hint}{allowed}"
    if isinstance(cause, ValidationError):
        full_key = getattr(cause, "full_key", None) or key
        reason = str(getattr(cause, "msg", cause)).splitlines()[0]
        return f"{full_key}={value!r}: wrong type; expected {_expected(full_key)} ({reason})"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    detail = str(cause).splitlines()[0] if cause is not exc and str(cause) else ""
    return f"{line}: {first}" + (f" ({detail})" if detail else "")


def _apply_value_override(cfg: DictConfig, o) -> None:
    """Apply one non-group override the way Hydra 1.3's config loader does after composing."""
    key, value = o.key_or_group, o.value()
    if o.is_delete():
        with open_dict(cfg):
            parent, _, name = key.rpartition(".")
            node = OmegaConf.select(cfg, parent) if parent else cfg
            del node[name]
    elif o.is_add():
        if OmegaConf.select(cfg, key, throw_on_missing=False) is not None \
                and not isinstance(value, (dict, list)):
            raise ValueError(f"an item is already at '{key}': drop the + ({o.input_line[1:]})")
        OmegaConf.update(cfg, key, value, merge=True, force_add=True)
    elif o.is_force_add():
        OmegaConf.update(cfg, key, value, merge=True, force_add=True)
    else:
        OmegaConf.update(cfg, key, value, merge=True)


class GridChecker:
    """Compose and check job configs; each group selection is composed once, values are applied on a copy.

    Composing with Hydra costs ≈0.3 s; the jobs of a typical grid differ only in
    values, so a grid of 100 jobs is checked in about a second.
    """

    def __init__(self, conf_dir: str, config_name: str = "config", extra_dirs: Sequence[str] = ()):
        self.conf_dir, self.config_name = conf_dir, config_name
        self.groups = set().union(*(config_groups(d) for d in (conf_dir, *extra_dirs)))
        # --config-dir: Hydra appends it to the search path; the compose API takes it as an override
        self.search_path = [f"hydra.searchpath=[{','.join('file://' + d for d in extra_dirs)}]"] \
            if extra_dirs else []
        self._bases: dict[tuple[str, ...], tuple[DictConfig | None, list[str]]] = {}

    def _is_structural(self, o) -> bool:
        return o.package is not None or o.key_or_group in self.groups

    def _compose(self, lines: list[str]) -> DictConfig:
        from hydra import compose
        return compose(self.config_name, overrides=self.search_path + lines)

    def _base(self, structural: list) -> tuple[DictConfig | None, list[str]]:
        key = tuple(o.input_line for o in structural)
        if key not in self._bases:
            try:
                self._bases[key] = (self._compose(list(key)), [])
            except Exception:
                # find every group selection that fails, not only the first
                good: list[str] = []
                problems: list[str] = []
                for o in structural:
                    try:
                        self._compose(good + [o.input_line])
                        good.append(o.input_line)
                    except Exception as exc:  # noqa: BLE001 - every Hydra error becomes a message
                        problems.append(describe_override_error(o, exc, self.conf_dir))
                try:
                    base = self._compose(good)
                except Exception as exc:  # noqa: BLE001
                    base, problems = None, problems + [f"config does not compose: {exc}"]
                self._bases[key] = (base, problems)
        base, problems = self._bases[key]
        return base, list(problems)

    def build(self, overrides: Sequence[str]) -> tuple[DictConfig | None, list[str]]:
        """The job's composed config (None if it cannot be composed) and the overrides' problems.

        ``hydra.*`` overrides configure Hydra itself and are left to it.
        """
        from hydra.errors import OverrideParseException

        parsed, problems = [], []
        for line in overrides:
            try:
                parsed += parse_overrides([line])
            except OverrideParseException as exc:
                problems.append(describe_override_error(line, exc, self.conf_dir))
        parsed = [o for o in parsed if not o.is_hydra_override()]
        base, base_problems = self._base([o for o in parsed if self._is_structural(o)])
        problems += base_problems
        if base is None:
            return None, problems
        cfg = copy.deepcopy(base)
        for o in parsed:
            if self._is_structural(o):
                continue
            try:
                _apply_value_override(cfg, o)
            except Exception as exc:  # noqa: BLE001 - every Hydra/OmegaConf error becomes a message
                problems.append(describe_override_error(o, exc, self.conf_dir))
        return cfg, problems

    def check(self, overrides: Sequence[str]) -> list[str]:
        """Every problem of the job with these overrides: the overrides', then the config's."""
        from scenarios.validation import collect_problems
        from simulation.app.cli import to_typed

        cfg, problems = self.build(overrides)
        if cfg is None:
            return problems
        try:
            problems += collect_problems(to_typed(cfg))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"config cannot be built: {str(exc).splitlines()[0]}")
        return problems

    def sweeper(self, arguments: Sequence[str]) -> tuple[dict[str, Any], str]:
        """(``hydra.sweeper.params``, sweeper target) of the config these overrides select."""
        from hydra import compose
        structural = []
        for o in parse_overrides(arguments):
            if o.is_hydra_override() or self._is_structural(o):
                first = next(iter(o.sweep_string_iterator()), None) if o.is_discrete_sweep() else None
                structural.append(o.input_line if first is None
                                  else f"{o.get_key_element()}={first}")
        try:
            cfg = compose(self.config_name, overrides=self.search_path + structural,
                          return_hydra_config=True)
        except Exception:  # noqa: BLE001 - the per-job check reports it
            return {}, BASIC_SWEEPER
        params = cfg.hydra.sweeper.get("params")
        params = OmegaConf.to_container(params) if params is not None else {}
        return params or {}, str(cfg.hydra.sweeper.get("_target_", BASIC_SWEEPER))


@contextmanager
def checker(conf_dir: str | None = None, config_name: str = "config",
            extra_dirs: Sequence[str] = ()) -> Iterator[GridChecker]:
    """A :class:`GridChecker` inside Hydra's compose API (cleared on exit)."""
    from hydra import initialize_config_dir
    from scenarios.registry import register_configs
    from simulation.app.cli import CONF_DIR
    register_configs()
    conf_dir = conf_dir or CONF_DIR
    with initialize_config_dir(config_dir=conf_dir, version_base="1.3"):
        yield GridChecker(conf_dir, config_name, extra_dirs)


@dataclasses.dataclass
class JobCheck:
    num: int
    overrides: list[str]
    problems: list[str]


def check_grid(arguments: Sequence[str], *, multirun: bool = True, conf_dir: str | None = None,
               config_name: str = "config", extra_dirs: Sequence[str] = ()) -> list[JobCheck]:
    """Check every job a command line would launch (the whole grid with ``multirun``)."""
    with checker(conf_dir, config_name, extra_dirs) as chk:
        if multirun:
            params, target = chk.sweeper(arguments)
            if target != BASIC_SWEEPER:
                raise ValueError(f"sweeper {target} chooses its own jobs; only the basic sweeper's "
                                 "grid can be checked in advance")
            jobs = expand_grid(params, arguments)
        else:
            jobs = [task_overrides(arguments)]
        return [JobCheck(i, job, chk.check(job)) for i, job in enumerate(jobs)]


def format_checks(checks: Sequence[JobCheck], *, ok_lines: bool = True) -> str:
    lines = []
    for c in checks:
        label = f"job {c.num} [{' '.join(c.overrides)}]"
        if not c.problems:
            if ok_lines:
                lines.append(f"{label}: OK")
            continue
        lines.append(f"{label}: {len(c.problems)} problem{'s' if len(c.problems) > 1 else ''}")
        lines += [f"  - {p}" for p in c.problems]
    bad = sum(1 for c in checks if c.problems)
    lines.append(f"{len(checks)} job{'s' if len(checks) != 1 else ''} checked: "
                 + ("all OK" if not bad else f"{bad} with problems"))
    return "\n".join(lines)


def validate_main(argv: list[str]) -> int:
    """``sifsim validate [-m] [overrides ...]``: check every job of a run or sweep; run nothing.

    Sweep syntax (``key=a,b,c``, ``range(...)``) and an experiment's
    ``hydra.sweeper.params`` are expanded as ``sifsim -m`` would; ``-m`` is
    accepted and implied. Exit 0 when every job is valid, 2 otherwise.
    """
    if any(a in ("-h", "--help") for a in argv):
        print(validate_main.__doc__)
        return 0
    arguments = [a for a in argv if a not in ("-m", "--multirun")]
    unknown = [a for a in arguments if a.startswith("-")]
    if unknown:
        print(f"sifsim validate: unknown option {unknown[0]}; give overrides only", file=sys.stderr)
        return 2
    try:
        checks = check_grid(arguments, multirun=True)
    except Exception as exc:  # noqa: BLE001 - a bad override line or sweep type
        print(f"sifsim validate: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(format_checks(checks))
    return 2 if any(c.problems for c in checks) else 0


# --- job records -----------------------------------------------------------------------

def _atomic_json(path: Path, data: dict) -> None:
    from simulation.app.outputs import atomic_write
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
            and not p.name.endswith(".log")}


def is_complete(folder: Path, overrides: Sequence[str]) -> bool:
    """True if ``folder`` holds a finished result for exactly these overrides."""
    done = _read_json(Path(folder) / DONE)
    if not done or sorted(done.get("overrides", [])) != sorted(overrides):
        return False
    for name, size in done.get("files", {}).items():
        path = Path(folder) / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return "summary.csv" in done.get("files", {})


def start_job(folder: Path) -> None:
    """Forget an earlier outcome in ``folder`` before the job (re)runs."""
    for name in (DONE, ERROR):
        (Path(folder) / name).unlink(missing_ok=True)


def write_done(folder: Path, overrides: Sequence[str], job: int | None, wall_time_s: float) -> None:
    """The completion marker, written last and atomically: a folder without it is not complete."""
    _atomic_json(Path(folder) / DONE, {
        "status": "ok", "job": job, "overrides": list(overrides),
        "wall_time_s": round(wall_time_s, 3), "files": result_files(folder),
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


def maybe_inject_failure(overrides: Sequence[str]) -> None:
    """Test hook: raise if the job's overrides include ``$SIFSIM_TEST_FAIL_OVERRIDE``."""
    target = os.environ.get(FAIL_ENV)
    if target and target in overrides:
        raise RuntimeError(f"injected failure for tests ({FAIL_ENV}={target})")


# --- aggregation -------------------------------------------------------------------------

def _job_folders(sweep_dir: Path) -> list[Path]:
    return sorted(p.parent.parent for p in Path(sweep_dir).rglob(".hydra/overrides.yaml"))


def _job_number(folder: Path, record: dict | None) -> int | None:
    if record and record.get("job") is not None:
        return int(record["job"])
    try:
        return int(yaml.safe_load((folder / ".hydra" / "hydra.yaml").read_text())["hydra"]["job"]["num"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return int(folder.name) if folder.name.isdigit() else None


def expected_jobs(sweep_dir: Path) -> list[list[str]] | None:
    """The grid of the last sweep into ``sweep_dir`` (from Hydra's multirun.yaml), if a basic sweep."""
    path = Path(sweep_dir) / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        conf = yaml.safe_load(path.read_text())
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
        overrides = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text()) or []
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
    from simulation.app.outputs import write_table
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


def _sweep_charts(sweep_dir: Path, table: pd.DataFrame, language: str) -> None:
    """The sweep's charts (those of the chart registry that apply) and its report.html."""
    from simulation.present.report import build_sweep_report
    build_sweep_report(sweep_dir, language)


#: What the last sweep in this process ended with (read by ``simulation.app.cli.main`` for its exit code).
LAST_SWEEP: dict[str, Any] = {}


class SweepCallback(Callback):
    """Hydra callback (``hydra.callbacks`` in conf/config.yaml): progress and the sweep table."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        LAST_SWEEP.clear()
        LAST_SWEEP.update(dir=str(config.hydra.sweep.dir), aggregated=False)

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
        finish_sweep(sweep_dir, charts=bool(config.get("sweep_charts", True)),
                     language=str(config.get("language", "sv")))


def finish_sweep(sweep_dir: Path, *, charts: bool = False, language: str = "sv") -> pd.DataFrame:
    table = aggregate(sweep_dir)
    jobs = job_status(table)
    LAST_SWEEP.update(dir=str(sweep_dir), aggregated=True,
                      not_ok=jobs[jobs["status"] != "ok"]["job"].tolist())
    if charts:
        try:
            _sweep_charts(sweep_dir, table, language)
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
    if not args.folder.is_dir() or not (_job_folders(args.folder) or (args.folder / "multirun.yaml").exists()):
        parser.error(f"{args.folder} is not a sweep folder (no job folders, no multirun.yaml)")
    table = finish_sweep(args.folder, charts=args.charts, language=args.language)
    return 0 if (job_status(table)["status"] == "ok").all() else 1
