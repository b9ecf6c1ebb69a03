"""A study, declared outside the model (EMA Workbench style): factors by config key, outcomes by name.

``conf/explore.yaml`` holds the study's settings (``explore.*``: design, replications, budget …)
and ``conf/uncertainty/<name>.yaml`` (``+uncertainty=<name>``) its declared uncertainties:

* **factors**: each sets one numeric config key of ``conf/`` (``intervention.effect_scale``) over
  a range with a distribution; the comment's source label says what justifies the range;
* **outcomes**: names from the outcome registry (:data:`simulation.core.outcomes.OUTCOMES`), which
  already knows each one's unit and direction; adding a new summary column as an outcome is one
  name in that list;
* **success**: what "the rule works" means at a design point (an outcome's mean over the
  replications against a threshold), for scenario discovery.

:func:`load_study` composes both, checks the whole study (names, ranges against the schema's
allowed range, that a factor's key is a number) and returns every problem at once, one line each
naming the key, the value and what is allowed — before any simulation starts.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from omegaconf import DictConfig, OmegaConf

from simulation.core.outcomes import OUTCOMES

DESIGNS = ("morris", "sobol", "none")
DISTRIBUTIONS = ("uniform", "triangular")
OPERATORS = (">=", "<=")
DUMMY = "seed"      # the dummy factor: it moves only the random streams (the noise floor)
#: study keys a user sets as ``explore.<key>=...`` (conf/explore.yaml), with what is allowed
SETTINGS_HELP = {
    "design": f"one of {', '.join(DESIGNS)}",
    "replications": "an integer >= 2",
    "trajectories": "an integer >= 1",
    "levels": "an even integer >= 2",
    "sobol_base_samples": "a power of two >= 8",
    "sobol_max_base_samples": "a power of two >= explore.sobol_base_samples",
    "max_runs": "an integer >= 1 (design points × replications)",
    "ci_target": "a number in (0, 1]",
    "bootstrap_resamples": "an integer >= 10",
    "seed": "an integer >= 0",
    "workers": "null (one per core) or an integer >= 1",
    "chunk_points": "an integer >= 1",
    "output_dir": "null (results/explore/<time>) or a folder",
    "run_folder": "null or a run folder sifsim wrote (its report gets the study's section)",
    "break_even": "a map: enabled, key, low, high, iterations, target_p_full",
    "prim": "a map: peel_alpha, min_coverage",
}


@dataclass(frozen=True)
class Factor:
    """One uncertainty: the config key it sets, its range and distribution."""

    name: str
    key: str
    low: float
    high: float
    dist: str = "uniform"
    mode: float | None = None         # triangular: the most likely value
    integer: bool = False             # the key is an int (a year): values are rounded
    also: tuple[str, ...] = ()        # further keys set to the same value (one assumption, several keys)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every config key the factor sets (``key`` first)."""
        return (self.key, *self.also)

    def value(self, u: float) -> float | int:
        """The factor's value at the unit-interval quantile ``u`` (inverse CDF)."""
        lo, hi = self.low, self.high
        if self.dist == "triangular":
            c = (self.mode - lo) / (hi - lo)
            x = lo + math.sqrt(u * (hi - lo) * (self.mode - lo)) if u < c else \
                hi - math.sqrt((1 - u) * (hi - lo) * (hi - self.mode))
        else:
            x = lo + u * (hi - lo)
        if self.integer:     # equal-width bins over [low, high]: each year equally likely
            return int(min(hi, math.floor(lo + u * (hi - lo + 1))))
        return float(x)


@dataclass(frozen=True)
class Success:
    """"The rule works" at a design point: ``outcome`` (mean over replications) ``op`` ``threshold``."""

    name: str
    outcome: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        if value != value:          # NaN: not measured, not a success
            return False
        return value >= self.threshold if self.op == ">=" else value <= self.threshold


@dataclass(frozen=True)
class BreakEven:
    enabled: bool = True
    key: str = "intervention.effect_scale"
    low: float = 0.0
    high: float = 3.0
    iterations: int = 6
    target_p_full: float = 0.5


@dataclass(frozen=True)
class Study:
    """The whole study, checked."""

    name: str
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    success: tuple[Success, ...]
    design: str
    replications: int
    trajectories: int
    levels: int
    sobol_base_samples: int
    sobol_max_base_samples: int
    max_runs: int
    ci_target: float
    bootstrap_resamples: int
    seed: int
    workers: int | None
    chunk_points: int
    output_dir: str | None
    break_even: BreakEven
    peel_alpha: float = 0.05
    min_coverage: float = 0.8
    model_overrides: tuple[str, ...] = ()
    run_folder: str | None = None        # RUN: the study starts from its overrides, goes to RUN/explore/<time>
    source: dict = field(default_factory=dict, compare=False)    # the composed study, for study.json

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]


class StudyError(ValueError):
    """Every problem of a study, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid study:\n" + "\n".join(f"  - {p}" for p in problems))


def split_arguments(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(study overrides, model overrides): ``explore.*`` and ``uncertainty`` go to the study."""
    study, model = [], []
    for a in args:
        key = a.lstrip("+~").split("=", 1)[0]
        (study if key == "uncertainty" or key.startswith(("explore.", "uncertainty.")) else model).append(a)
    if not any(a.lstrip("+~").split("=", 1)[0] == "uncertainty" for a in study):
        study.append("+uncertainty=default")
    # `uncertainty=NAME` (no +) is accepted as `+uncertainty=NAME`: the group has no default
    study = [("+" + a) if a.startswith("uncertainty=") else a for a in study]
    return study, model


def compose_study(study_overrides: Sequence[str], conf_dir: str | None = None) -> DictConfig:
    """``conf/explore.yaml`` with the study overrides (``+uncertainty=NAME``, ``explore.k=v``)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from simulation.app.config import CONF_DIR
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=conf_dir or CONF_DIR, version_base="1.3"):
        return compose("explore", overrides=list(study_overrides))


def describe_compose_error(exc: BaseException, overrides: Sequence[str], conf_dir: str) -> str:
    from simulation.app.grid import group_options
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "uncertainty" in text or any("uncertainty" in o for o in overrides):
        options = ", ".join(group_options(conf_dir, "uncertainty")) or "(none)"
        chosen = next((o for o in overrides if o.lstrip("+").startswith("uncertainty=")), "")
        if "Could not find" in text or "not found" in text.lower():
            return f"{chosen.lstrip('+')}: no such option in config group 'uncertainty'; allowed: {options}"
    return f"study does not compose: {text}"


def _schema_info(key: str):
    """(type, range metadata) of a model config key; (None, {}) if the schema has no such key."""
    from simulation.app.grid import _schema_type
    return _schema_type(key.split("."))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def factor_problems(name: str, spec: Any) -> tuple[Factor | None, list[str]]:
    """The factor and its problems (each naming ``uncertainty.factors.<name>``)."""
    from scenarios.validation import _describe_range
    where = f"uncertainty.factors.{name}"
    if not isinstance(spec, dict):
        return None, [f"{where}={spec!r}: not a factor; allowed: a map with key, low, high (and dist, mode)"]
    allowed_fields = {"key", "low", "high", "dist", "mode"}
    problems = [f"{where}.{k}: unknown field; allowed: {', '.join(sorted(allowed_fields))}"
                for k in spec if k not in allowed_fields]
    given = spec.get("key")
    keys = list(given) if isinstance(given, (list, tuple)) and given else [given]
    if not all(isinstance(k, str) and k for k in keys):
        return None, problems + [f"{where}.key={given!r}: missing or not a config key; allowed: a dotted key of "
                                 "conf/, e.g. intervention.effect_scale, or a list of such keys set to the "
                                 "same value"]
    key = keys[0]
    integer = False
    metas = []
    for k in keys:
        tp, meta = _schema_info(k)
        if tp is None:
            problems.append(f"{where}.key={k}: unknown config key; allowed: a numeric key of conf/ "
                            "(e.g. intervention.effect_scale, economy.discount_rate)")
        elif tp not in (int, float) or tp is bool:
            problems.append(f"{where}.key={k}: not a number (the schema says {getattr(tp, '__name__', tp)}); "
                            "allowed: a key whose value is a float or an int")
        else:
            integer = integer or tp is int
            metas.append((k, meta))
    if len(set(keys)) < len(keys):
        problems.append(f"{where}.key={given!r}: a key is listed twice; allowed: each key once")
    if len(keys) > 1 and integer:
        problems.append(f"{where}.key={given!r}: an integer key in a list; allowed: a list of float keys "
                        "(an integer key is a factor of its own)")
    dist = spec.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        problems.append(f"{where}.dist={dist!r}: unknown distribution; allowed: {', '.join(DISTRIBUTIONS)}")
    low, high, mode = spec.get("low"), spec.get("high"), spec.get("mode")
    for label, v in (("low", low), ("high", high)):
        if not _number(v):
            problems.append(f"{where}.{label}={v!r}: not a number; allowed: a finite number")
    if _number(low) and _number(high):
        if not low < high:
            problems.append(f"{where}: low={low} >= high={high}; allowed: low < high")
        for k, meta in metas:
            lo_ok, hi_ok = meta.get("lo"), meta.get("hi")
            for label, v in (("low", low), ("high", high)):
                outside = (lo_ok is not None and v < lo_ok) or (hi_ok is not None and (
                    v >= hi_ok if meta.get("hi_open") else v > hi_ok))
                if outside:
                    problems.append(f"{where}.{label}={v}: outside the range {k} allows; "
                                    f"allowed: {_describe_range(meta)}")
        if integer and not (float(low).is_integer() and float(high).is_integer()):
            problems.append(f"{where}: low={low}, high={high}: {key} is an integer; allowed: whole numbers")
    if dist == "triangular":
        if not _number(mode) or (_number(low) and _number(high) and not low <= mode <= high):
            problems.append(f"{where}.mode={mode!r}: a triangular factor needs its most likely value; "
                            f"allowed: a number in [low, high]")
    if problems:
        return None, problems
    return Factor(name, key, float(low), float(high), dist, None if mode is None else float(mode), integer,
                  tuple(keys[1:])), []


def _setting_problems(e: dict) -> list[str]:
    out = []

    def bad(key: str) -> None:
        out.append(f"explore.{key}={e.get(key)!r}: not allowed; allowed: {SETTINGS_HELP[key]}")

    def is_int(v: Any, lo: int) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= lo

    unknown = [k for k in e if k not in SETTINGS_HELP]
    out += [f"explore.{k}: unknown key; allowed keys: {', '.join(SETTINGS_HELP)}" for k in unknown]
    if e.get("design") not in DESIGNS:
        bad("design")
    for key, lo in (("replications", 2), ("trajectories", 1), ("max_runs", 1), ("bootstrap_resamples", 10),
                    ("seed", 0), ("chunk_points", 1)):
        if not is_int(e.get(key), lo):
            bad(key)
    if not (is_int(e.get("levels"), 2) and e["levels"] % 2 == 0):
        bad("levels")
    n0, n1 = e.get("sobol_base_samples"), e.get("sobol_max_base_samples")
    power = lambda v: is_int(v, 8) and (v & (v - 1)) == 0  # noqa: E731
    if not power(n0):
        bad("sobol_base_samples")
    if not (power(n1) and (not power(n0) or n1 >= n0)):
        bad("sobol_max_base_samples")
    if not (_number(e.get("ci_target")) and 0 < e["ci_target"] <= 1):
        bad("ci_target")
    if e.get("workers") is not None and not is_int(e.get("workers"), 1):
        bad("workers")
    if e.get("output_dir") is not None and not isinstance(e.get("output_dir"), str):
        bad("output_dir")
    from simulation.explore.run_folder import run_folder_problems
    out += run_folder_problems(e.get("run_folder"), e.get("output_dir"))
    return out


def _break_even(spec: Any) -> tuple[BreakEven | None, list[str]]:
    where = "explore.break_even"
    if not isinstance(spec, dict):
        return None, [f"{where}={spec!r}: not a map; allowed: {SETTINGS_HELP['break_even']}"]
    fields = {f.name for f in dataclasses.fields(BreakEven)}
    out = [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(fields))}" for k in spec if k not in fields]
    b = BreakEven(**{k: v for k, v in spec.items() if k in fields})
    if not isinstance(b.enabled, bool):
        out.append(f"{where}.enabled={b.enabled!r}: not a flag; allowed: true or false")
    tp, meta = _schema_info(b.key)
    if tp not in (int, float):
        out.append(f"{where}.key={b.key}: not a numeric config key; allowed: e.g. intervention.effect_scale")
    if not (_number(b.low) and _number(b.high) and b.low < b.high):
        out.append(f"{where}: low={b.low!r}, high={b.high!r}; allowed: numbers with low < high")
    elif meta.get("lo") is not None and b.low < meta["lo"]:
        out.append(f"{where}.low={b.low}: outside the range {b.key} allows; allowed: >= {meta['lo']}")
    if not (isinstance(b.iterations, int) and 1 <= b.iterations <= 30):
        out.append(f"{where}.iterations={b.iterations!r}: allowed: an integer in [1, 30]")
    if not (_number(b.target_p_full) and 0 < b.target_p_full < 1):
        out.append(f"{where}.target_p_full={b.target_p_full!r}: allowed: a probability in (0, 1)")
    return (None if out else b), out


def study_from_config(cfg: DictConfig, model_overrides: Sequence[str] = ()) -> Study:
    """The checked :class:`Study` of a composed ``conf/explore.yaml``; :class:`StudyError` lists every problem."""
    raw = OmegaConf.to_container(cfg, resolve=True)
    problems: list[str] = []
    unc = raw.get("uncertainty") or {}
    e = dict(raw.get("explore") or {})
    problems += [f"uncertainty.{k}: unknown key; allowed: factors, outcomes, success"
                 for k in unc if k not in ("factors", "outcomes", "success")]
    factors = []
    specs = unc.get("factors") or {}
    if not specs:
        problems.append("uncertainty.factors: no factors declared; allowed: a map name -> {key, low, high}")
    for name, spec in specs.items():
        if name == DUMMY:
            problems.append(f"uncertainty.factors.{DUMMY}: reserved for the dummy factor (the seed); "
                            "allowed: any other name")
            continue
        factor, p = factor_problems(name, spec)
        problems += p
        if factor:
            factors.append(factor)
    keys = [k for f in factors for k in f.keys]
    problems += [f"uncertainty.factors: key {k} is set by two factors; allowed: one factor per key"
                 for k in sorted({k for k in keys if keys.count(k) > 1})]
    outcomes = list(unc.get("outcomes") or [])
    if not outcomes:
        problems.append("uncertainty.outcomes: none declared; allowed: names of simulation/core/outcomes.py")
    for o in outcomes:
        if o not in OUTCOMES:
            problems.append(f"uncertainty.outcomes: {o!r} is not an outcome; allowed: {', '.join(OUTCOMES)}")
    successes = []
    for name, spec in (unc.get("success") or {}).items():
        where = f"uncertainty.success.{name}"
        if not isinstance(spec, dict) or set(spec) != {"outcome", "op", "threshold"}:
            problems.append(f"{where}={spec!r}: allowed: a map with outcome, op (>= or <=) and threshold")
            continue
        if spec["outcome"] not in OUTCOMES:
            problems.append(f"{where}.outcome={spec['outcome']!r}: not an outcome; allowed: {', '.join(OUTCOMES)}")
        if spec["op"] not in OPERATORS:
            problems.append(f"{where}.op={spec['op']!r}: allowed: {', '.join(OPERATORS)}")
        if not _number(spec["threshold"]):
            problems.append(f"{where}.threshold={spec['threshold']!r}: not a number; allowed: a finite number")
        successes.append(Success(name, spec["outcome"], spec["op"], spec["threshold"]))
    problems += _setting_problems({k: v for k, v in e.items() if k not in ("break_even", "prim")})
    break_even, p = _break_even(e.get("break_even", {}))
    problems += p
    prim = e.get("prim") or {}
    peel, cov = prim.get("peel_alpha", 0.05), prim.get("min_coverage", 0.8)
    problems += [f"explore.prim.{k}: unknown key; allowed: peel_alpha, min_coverage"
                 for k in prim if k not in ("peel_alpha", "min_coverage")]
    if not (_number(peel) and 0 < peel < 0.5):
        problems.append(f"explore.prim.peel_alpha={peel!r}: allowed: a number in (0, 0.5)")
    if not (_number(cov) and 0 < cov <= 1):
        problems.append(f"explore.prim.min_coverage={cov!r}: allowed: a number in (0, 1]")
    if problems:
        raise StudyError(problems)
    if e.get("run_folder"):
        from simulation.explore.run_folder import run_overrides
        # the run's own overrides first: a model override on the explore command line comes later and wins
        model_overrides = [*run_overrides(e["run_folder"]), *model_overrides]
    return Study(name=str(raw.get("name", "study")), factors=tuple(factors), outcomes=tuple(outcomes),
                 success=tuple(successes), design=e["design"], replications=e["replications"],
                 trajectories=e["trajectories"], levels=e["levels"],
                 sobol_base_samples=e["sobol_base_samples"], sobol_max_base_samples=e["sobol_max_base_samples"],
                 max_runs=e["max_runs"], ci_target=float(e["ci_target"]),
                 bootstrap_resamples=e["bootstrap_resamples"], seed=e["seed"], workers=e["workers"],
                 chunk_points=e["chunk_points"], output_dir=e["output_dir"], break_even=break_even,
                 peel_alpha=float(peel), min_coverage=float(cov), model_overrides=tuple(model_overrides),
                 run_folder=e.get("run_folder"), source=raw)


def load_study(args: Sequence[str], conf_dir: str | None = None) -> Study:
    """The checked study of a command line (study and model overrides mixed, as typed)."""
    from simulation.app.config import CONF_DIR
    study_overrides, model_overrides = split_arguments(args)
    try:
        cfg = compose_study(study_overrides, conf_dir)
    except Exception as exc:  # noqa: BLE001 - every Hydra error becomes one message
        raise StudyError([describe_compose_error(exc, study_overrides, conf_dir or CONF_DIR)]) from exc
    return study_from_config(cfg, model_overrides)


__all__ = ["Factor", "Success", "BreakEven", "Study", "StudyError", "load_study", "study_from_config",
           "split_arguments", "DUMMY", "DESIGNS"]
