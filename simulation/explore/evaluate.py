"""Design points through the engine: one config per point, R paired replications each, in chunks.

A design point is the base model (``conf/`` with the command line's model overrides) with each
factor's key set to its value and ``seed`` set from the dummy factor (so the dummy moves the
random streams only; every other step of a design keeps the same seeds: common random numbers).
Each point is composed and checked like a sweep job (:class:`simulation.app.grid.GridChecker`)
before anything runs, and keyed by its resolved config hash (:func:`simulation.app.sweep.resolved_config_hash`).

Points run in chunks of ``explore.chunk_points`` on ``explore.workers`` processes (one per core by
default; each point's replications run serially inside its process). A finished chunk is one
Parquet file in ``chunks/`` named by the hashes of its points; a re-run reads every chunk file and
runs only the points none of them holds, so an interrupted study resumes where it stopped and a
Sobol stage that doubles N reuses every point of the stage before.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from simulation.core.outcomes import OUTCOMES
from simulation.explore.study import DUMMY, Study

CHUNK_DIR = "chunks"
SEED_SPAN = 1_000_000     # the dummy factor's unit coordinate u moves the model seed by floor(u * SEED_SPAN)
RUN_SETTINGS = ("charts=false", "progress=false", "workers=1")


@dataclass(frozen=True)
class Point:
    """One design point: its unit coordinates, the factor values and the model seed they give."""

    row: int
    values: dict
    seed: int

    def overrides(self, study: Study) -> list[str]:
        keys = {f.name: f.keys for f in study.factors}
        return [f"{key}={value!r}" for name, value in self.values.items() for key in keys[name]] \
            + [f"seed={self.seed}"]


def points_of(study: Study, unit: np.ndarray, base_seed: int) -> list[Point]:
    """The design's unit rows as points (the last column is the dummy factor)."""
    out = []
    for i, u in enumerate(np.asarray(unit, dtype=float)):
        values = {f.name: f.value(float(u[j])) for j, f in enumerate(study.factors)}
        seed = base_seed + int(np.floor(min(u[-1], 1.0 - 1e-12) * SEED_SPAN))
        out.append(Point(i, values, seed))
    return out


@dataclass
class PointConfig:
    point: Point
    config_hash: str
    config: object          # scenarios.schema.SifsimConfig


def set_key(config: object, key: str, value: object) -> None:
    """Set a dotted key (``intervention.caseload.exit_hazard_elasticity_to_caseload``) of a typed config."""
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    if isinstance(node, dict):
        node[last] = value
    else:
        setattr(node, last, value)


class PointBuilder:
    """The typed config of any point: the base composed and checked once, each point a copy of it.

    :meth:`check` composes the base and each factor's two ends (and all factors at their lows, and
    at their highs) through Hydra exactly like a sweep job and checks them like a run (ranges,
    dated items inside the window, size): the whole study is refused before the first run if
    any of them is wrong. A point is the typed base with its factor keys set (milliseconds, not
    the ≈0.2 s a full compose and check take), keyed by the base's resolved config hash and its
    overrides.
    """

    def __init__(self, study: Study):
        self.study = study
        self._stack = None

    def __enter__(self) -> "PointBuilder":
        from contextlib import ExitStack
        from simulation.app.grid import checker
        self._stack = ExitStack()
        self.checker = self._stack.enter_context(checker())
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def base_overrides(self) -> list[str]:
        return [*self.study.model_overrides, f"replications={self.study.replications}", *RUN_SETTINGS]

    def check(self) -> list[str]:
        """Every problem of the base and of the factors' ends (deduplicated, in order)."""
        problems = list(self.checker.check(self.base_overrides()))
        if problems:
            return problems
        ends = []                                   # (overrides, where they are)
        for f in self.study.factors:
            for v in (f.value(0.0), f.value(1.0)):
                lines = [f"{k}={v!r}" for k in f.keys]
                ends.append((lines, ", ".join(lines)))
        for end, u in (("low", 0.0), ("high", 1.0)):
            ends.append(([f"{k}={f.value(u)!r}" for f in self.study.factors for k in f.keys],
                         f"every factor at its {end} end"))
        for lines, where in ends:
            for p in self.checker.check([*self.base_overrides(), *lines]):
                text = f"{p} (at {where})"
                if text not in problems:
                    problems.append(text)
        return problems

    def base(self):
        from simulation.app.config import to_typed
        from simulation.app.sweep import resolved_config_hash
        if not hasattr(self, "_base"):
            cfg, problems = self.checker.build(self.base_overrides())
            if cfg is None or problems:
                raise ValueError("; ".join(problems))
            self._base = (to_typed(cfg), resolved_config_hash(cfg))
        return self._base

    def base_seed(self) -> int:
        return int(self.base()[0].seed)

    def point(self, p: Point) -> PointConfig:
        import copy
        typed, base_hash = self.base()
        config = copy.deepcopy(typed)
        for f in self.study.factors:
            for key in f.keys:
                set_key(config, key, p.values[f.name])
        config.seed = p.seed
        lines = "\n".join([base_hash, *p.overrides(self.study)])
        return PointConfig(p, hashlib.sha256(lines.encode()).hexdigest()[:16], config)


def outcome_rows(per_replication: pd.DataFrame) -> pd.DataFrame:
    """``rule, outcome, mean, mc_se, replications`` of every registered outcome (mean over replications;
    ``mc_se`` = its Monte Carlo standard error, sd / √R)."""
    rows = []
    names = [o for o in OUTCOMES if o in per_replication.columns]
    for rule, g in per_replication.groupby("rule", sort=False):
        for name in names:
            v = g[name].to_numpy(dtype=float)
            if name == "year_fully_repaid":
                continue        # NaN = never: a mean over it says nothing; p_full_repayment carries it
            v = v[~np.isnan(v)]
            mean = float(v.mean()) if v.size else float("nan")
            se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
            rows.append({"rule": str(rule), "outcome": name, "mean": mean, "mc_se": se, "replications": int(v.size)})
    return pd.DataFrame(rows)


def run_chunk(items: list[tuple[str, object]]) -> pd.DataFrame:
    """Run each (config hash, config) of a chunk; the outcome rows keyed by ``point_hash``."""
    from simulation.core.runner import run_outcomes
    parts = []
    for config_hash, config in items:
        t0 = time.perf_counter()
        rows = outcome_rows(run_outcomes(config, progress=False))
        parts.append(rows.assign(point_hash=config_hash, wall_time_s=time.perf_counter() - t0))
    return pd.concat(parts, ignore_index=True)


def chunk_name(hashes: Sequence[str]) -> str:
    return "chunk_" + hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16] + ".parquet"


def read_chunks(folder: Path) -> pd.DataFrame:
    """Every finished chunk's rows (a half-written file never exists: chunks are written atomically)."""
    files = sorted((Path(folder) / CHUNK_DIR).glob("chunk_*.parquet"))
    if not files:
        return pd.DataFrame(columns=["rule", "outcome", "mean", "mc_se", "replications", "point_hash", "wall_time_s"])
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


@dataclass
class EvaluationLog:
    chunks_run: int = 0
    chunks_reused_points: int = 0
    points_run: int = 0
    wall_time_s: float = 0.0


def worker_count(study: Study, tasks: int) -> int:
    wanted = study.workers if study.workers is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, tasks))


def evaluate(study: Study, configs: list[PointConfig], folder: Path, log: EvaluationLog,
             on_chunk: Callable[[int, int], None] | None = None, label: str = "") -> pd.DataFrame:
    """Outcome rows of every point (run what no chunk file holds yet), one row per point, rule and outcome.

    ``on_chunk(done, total)`` is called after each chunk is written (progress; tests use it to
    interrupt a study).
    """
    from simulation.present.files import atomic_write
    folder = Path(folder)
    (folder / CHUNK_DIR).mkdir(parents=True, exist_ok=True)
    done = read_chunks(folder)
    have = set(done["point_hash"])
    todo, seen = [], set()
    for c in configs:
        if c.config_hash not in have and c.config_hash not in seen:
            todo.append(c)
            seen.add(c.config_hash)
    log.chunks_reused_points += len({c.config_hash for c in configs} & have)
    chunks = [todo[i:i + study.chunk_points] for i in range(0, len(todo), study.chunk_points)]
    t0 = time.perf_counter()
    new_parts = []

    def finished(chunk: list[PointConfig], rows: pd.DataFrame, k: int) -> None:
        path = folder / CHUNK_DIR / chunk_name([c.config_hash for c in chunk])
        atomic_write(path, lambda p: rows.to_parquet(p, index=False))
        new_parts.append(rows)
        log.chunks_run += 1
        log.points_run += len(chunk)
        elapsed = time.perf_counter() - t0
        left = elapsed / max(k, 1) * (len(chunks) - k)
        print(f"sifsim explore{label}: chunk {k}/{len(chunks)} ({len(chunk)} points × {study.replications} "
              f"replications), {elapsed:.0f} s, ≈{left:.0f} s left", file=sys.stderr, flush=True)
        if on_chunk is not None:
            on_chunk(k, len(chunks))

    workers = worker_count(study, len(chunks))
    if workers == 1 or len(chunks) <= 1:
        for k, chunk in enumerate(chunks, 1):
            finished(chunk, run_chunk([(c.config_hash, c.config) for c in chunk]), k)
    elif chunks:
        # the chunks' workers fork from the command's warm server (simulation/app/warm.py): the
        # model imported and its compiled loops loaded once, not in every worker
        from simulation.app import warm
        from simulation.core.runner import use_environment
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=warm.context(),
                                   initializer=use_environment, initargs=(warm.worker_environment(),))
        try:
            futures = {pool.submit(run_chunk, [(c.config_hash, c.config) for c in chunk]): chunk for chunk in chunks}
            for k, future in enumerate(as_completed(futures), 1):
                finished(futures[future], future.result(), k)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    log.wall_time_s += time.perf_counter() - t0
    rows = pd.concat([done, *new_parts], ignore_index=True) if new_parts else done
    return rows.drop_duplicates(["point_hash", "rule", "outcome"])


def tidy_table(study: Study, configs: list[PointConfig], rows: pd.DataFrame, design: str) -> pd.DataFrame:
    """Design point × rule × outcome: the factor values first, then ``mean`` and ``mc_se``."""
    points = pd.DataFrame([{"design": design, "point": c.point.row, **c.point.values, DUMMY: c.point.seed,
                            "point_hash": c.config_hash} for c in configs])
    table = points.merge(rows.drop(columns=["wall_time_s"], errors="ignore"), on="point_hash", how="left")
    return table.sort_values(["point", "rule", "outcome"], kind="stable").reset_index(drop=True)
