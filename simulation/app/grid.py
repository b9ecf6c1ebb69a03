"""Checking a run or a whole sweep grid before anything starts: ``sifsim validate`` and the pre-check.

* :func:`parse_overrides` is Hydra's own override parser; :func:`expand_grid`
  lists a sweep's jobs in the order (= job numbers) of Hydra's basic sweeper.
* :class:`GridChecker` composes each job's whole config and checks it; every
  problem is one line naming the key, the value and what is allowed
  (:func:`describe_override_error`).
* :func:`preflight` is the check ``sifsim`` makes before Hydra creates any
  folder; :func:`validate_main` is ``sifsim validate``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf, open_dict

from scenarios.registry import register_configs
from scenarios.validation import ConfigError
from scenarios.vocabulary import RETIRED_KEYS
from simulation.app.resources import collect_run_problems
from simulation.app.config import CONF_DIR, to_typed

if TYPE_CHECKING:
    from simulation.app.handover import ComposedRun

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


# --- overrides and grids -------------------------------------------------------------

def parse_overrides(lines: Sequence[str]) -> list[Override]:
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
    from scenarios.schema import SifsimConfig  # noqa: PLC0415
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


def unknown_key_message(key: str, value: str | None = None, where: str = "") -> str:
    """``KEY[=VALUE]: unknown key[ in WHERE]; did you mean ...? allowed keys at ...`` (command line and files alike)."""
    parent, _, name = key.rpartition(".")
    known = _known_keys(parent)
    near = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {parent + '.' if parent else ''}{near[0]}? " if near else ""
    at = f"'{parent}'" if parent else "the top level"
    allowed = f"allowed keys at {at}: {', '.join(known)}" if known else f"'{parent}' takes no new keys"
    shown = f"={value}" if value is not None else ""
    return f"{key}{shown}: unknown key{' in ' + where if where else ''}; {hint}{allowed}"


def _config_file(config_path: str, dirs: Sequence[str | Path]) -> Path | None:
    """``municipality/orebro`` (Hydra's name of a config) as a file in the search path (the last wins)."""
    found = [Path(d) / f"{config_path}.yaml" for d in dirs if (Path(d) / f"{config_path}.yaml").is_file()]
    return found[-1] if found else None


def _key_line(path: Path, name: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(name)}[\"']?\s*:")
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if pattern.match(line) or re.search(rf"[{{,]\s*{re.escape(name)}\s*:", line):
            return i
    return None


def describe_file_key_error(exc: BaseException, dirs: Sequence[str | Path]) -> str | None:
    """A key in a conf file (``conf/`` or ``--config-dir``) that the schema does not have: the same
    "did you mean" as on the command line, with the file and line. None for other errors."""
    text = str(exc)
    if "ConfigKeyError" not in text and "ConfigAttributeError" not in text:
        return None
    full = re.search(r"full_key: (\S+)", text)
    if not full:
        return None
    key = full.group(1)
    source = re.match(r"In '([^']+)'", text)
    where = ""
    if source:
        path = _config_file(source.group(1), dirs)
        line = _key_line(path, key.rpartition(".")[2].split("[")[0]) if path else None
        where = f"{path}:{line}" if path and line else str(path or source.group(1))
    return unknown_key_message(key, where=where)


def describe_override_error(override: Override | str, exc: BaseException, conf_dir: str | Path,
                            dirs: Sequence[str | Path] = ()) -> str:
    """One line naming the key, the value given and what is allowed.

    ``override`` is the parsed override, or the line itself when it does not parse.
    """
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    if isinstance(exc, OverrideParseException):
        line = override if isinstance(override, str) else override.input_line
        return (f"{line}: not a valid override ({exc.message.splitlines()[0]}); allowed: key=value with "
                "a key of ASCII letters, digits, _ and . (a group: group=option)")
    assert not isinstance(override, str), "only a parse error comes without a parsed override"
    line = override.input_line
    cause = exc.__cause__ or exc
    missing = cause if isinstance(cause, MissingConfigException) else exc
    if isinstance(missing, MissingConfigException):
        group = override.key_or_group
        options = missing.options or group_options(conf_dir, group)
        allowed = ", ".join(options) if options else "(none yet)"
        return f"{group}={override.value()!s}: no such option in config group '{group}'; allowed: {allowed}"
    key = override.key_or_group
    value = override.get_value_element_as_str()
    in_file = describe_file_key_error(exc, dirs or (conf_dir,))
    if in_file:                     # the group's file has a key the schema lacks: name it there
        return in_file
    if isinstance(cause, (ConfigKeyError, ConfigAttributeError)) and not isinstance(cause, ValidationError):
        if key in RETIRED_KEYS:
            return f"{key}={value}: {RETIRED_KEYS[key]}"
        full_key = str(getattr(cause, "full_key", "") or "")
        if full_key.startswith(key + ".") and typing.get_origin(_schema_type(key.split("."))[0]) is dict:
            # a dict value whose keys are not all in the config yet (Hydra merges a dict into it)
            entry = full_key[len(key) + 1:]
            return (f"{full_key}: not yet in {key}, and key=VALUE changes existing entries only; allowed: "
                    f"add it with +{full_key}=VALUE, or remove one with ~{key}.{entry}")
        return unknown_key_message(key, value)
    if isinstance(cause, ValidationError):
        full_key = getattr(cause, "full_key", None) or key
        reason = str(getattr(cause, "msg", cause)).splitlines()[0]
        return f"{full_key}={value!r}: wrong type; expected {_expected(full_key)} ({reason})"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    detail = str(cause).splitlines()[0] if cause is not exc and str(cause) else ""
    return f"{line}: {first}" + (f" ({detail})" if detail else "")


def describe_build_error(exc: BaseException, overrides: Sequence[str]) -> str:
    """A config that composes but cannot be built (an interpolation, a value of the wrong kind):
    one line naming the key, from the error's ``full_key`` or the override that set it."""
    key = str(getattr(exc, "full_key", "") or "")
    value = None
    for line in overrides:
        k, _, v = line.lstrip("+~").partition("=")
        if key and (k == key or key.startswith(k + ".") or key.startswith(k + "[")):
            key, value = k, v
        elif not key and "${" in v:
            key, value = k, v
    reason = str(getattr(exc, "msg", exc)).splitlines()[0]
    if not key:
        return f"config cannot be built: {reason}"
    shown = f"={value}" if value is not None else ""
    expected = _expected(key) if _schema_type(key.split("."))[0] is not None else "a value"
    return f"{key}{shown}: cannot be resolved or has the wrong type ({reason}); expected {expected}"


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
        self.dirs = (conf_dir, *extra_dirs)
        self.groups = set().union(*(config_groups(d) for d in (conf_dir, *extra_dirs)))
        # --config-dir: Hydra appends it to the search path; the compose API takes it as an override
        self.search_path = [f"hydra.searchpath=[{','.join('file://' + d for d in extra_dirs)}]"] \
            if extra_dirs else []
        self._bases: dict[tuple[str, ...], tuple[DictConfig | None, list[str]]] = {}

    def command_line_problems(self, arguments: Sequence[str]) -> list[str]:
        """What a command line may not do, whatever the config: run code, read or write outside.

        * no instantiation target (``_target_``) in any override: those are code, and only
          the callbacks in conf/config.yaml may name any;
        * a config group takes one registered option name (no path, no list or dict);
        * ``hydra.job.name``, ``hydra.output_subdir`` and ``hydra.sweep.subdir`` stay inside the
          run or sweep dir (no ``/``, ``..``, absolute path).
        """
        from hydra.errors import OverrideParseException
        problems: list[str] = []
        for line in arguments:
            try:
                (o,) = parse_overrides([line])
            except (OverrideParseException, ValueError):
                continue                      # named by the per-job check
            key = o.key_or_group
            values = list(o.sweep_string_iterator()) if o.is_discrete_sweep() else None
            if "_target_" in key.split(".") or "_target_" in line.split("=", 1)[-1]:
                problems.append(f"{key}={o.get_value_element_as_str()}: instantiation targets (_target_) "
                                "cannot be set from the command line; allowed: the callbacks and "
                                "launchers configured in conf/")
                continue
            if key.startswith("hydra/") and values is None and o.package is None:
                from hydra import compose
                try:      # Hydra's own groups (launcher, sweeper) come from its plugins too
                    compose(self.config_name, overrides=self.search_path + [line], return_hydra_config=True)
                except Exception as exc:  # noqa: BLE001 - named below
                    problems.append(describe_override_error(o, exc, self.conf_dir))
                continue
            if key in self.groups and not key.startswith("hydra/") and o.package is None:
                options = set().union(*(group_options(d, key) for d in self.dirs))
                if values is None and not isinstance(o.value(), str) and o.value() is not None:
                    problems.append(f"{key}={o.get_value_element_as_str()}: a config group takes one "
                                    f"option name, not a {type(o.value()).__name__}; allowed: "
                                    f"{', '.join(sorted(options))} (set a value with {key}.KEY=VALUE)")
                    continue
                for v in values if values is not None else [o.value()]:
                    # a plain unknown name is Hydra's "no such option" (per job); a path is refused
                    # here, before Hydra would load a file from outside the config search path
                    if v is not None and str(v) not in options and ("/" in str(v) or ".." in str(v)
                                                                     or "\\" in str(v)):
                        problems.append(f"{key}={v}: not a registered option of config group '{key}'; "
                                        f"allowed: {', '.join(sorted(options)) or '(none)'}")
                        break
            if key in ("hydra.job.name", "hydra.output_subdir", "hydra.sweep.subdir"):
                for v in values if values is not None else [o.get_value_element_as_str()]:
                    text = str(v)
                    if key == "hydra.output_subdir" and text == "null":
                        continue
                    if "/" in text or "\\" in text or text.startswith("..") or text in ("", ".") \
                            or "${" in text and key != "hydra.sweep.subdir":
                        problems.append(f"{key}={text}: would write outside the run or sweep folder; "
                                        "allowed: a plain name (no /, .., absolute path)")
                        break
        return problems

    def portfolio_problems(self, cfg: DictConfig, overrides: Sequence[str]) -> list[str]:
        """``intervention.*`` set on a run with a portfolio: it would change nothing, so refuse it."""
        if not cfg.get("portfolio"):
            return []
        grants = list(cfg.portfolio.keys())
        out = []
        for o in parse_overrides(list(overrides)):
            key = o.key_or_group
            if key == "intervention" or key.startswith("intervention."):
                rest = key.partition(".")[2] or "KEY"
                out.append(f"{key}={o.get_value_element_as_str()}: ignored with a portfolio (each grant "
                           f"is its own intervention); allowed: set it per grant, "
                           f"portfolio.NAME.{rest}=... with NAME one of {', '.join(grants)}")
        return out

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
                        problems.append(describe_override_error(o, exc, self.conf_dir, self.dirs))
                try:
                    base = self._compose(good)
                except Exception as exc:  # noqa: BLE001
                    # a file every job composes (conf/config.yaml, a default of a group) is wrong
                    message = describe_file_key_error(exc, self.dirs) or \
                        f"config does not compose: {str(exc).splitlines()[0]}"
                    base, problems = None, problems + [message]
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

        cfg, problems = self.build(overrides)
        if cfg is None:
            return problems
        return problems + self.config_problems(cfg, overrides)

    def config_problems(self, cfg: DictConfig, overrides: Sequence[str]) -> list[str]:
        """Every problem of a composed job config (without its ``hydra`` node) and its overrides."""
        problems = self.portfolio_problems(cfg, overrides)
        try:
            typed = to_typed(cfg)
        except Exception as exc:  # noqa: BLE001
            problems.append(describe_build_error(exc, overrides))
            return problems
        try:
            problems += collect_run_problems(typed)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"config cannot be checked: {str(exc).splitlines()[0]}")
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
    register_configs()
    conf_dir = conf_dir or CONF_DIR
    with initialize_config_dir(config_dir=conf_dir, version_base="1.3"):
        yield GridChecker(conf_dir, config_name, extra_dirs)


@dataclasses.dataclass
class JobCheck:
    num: int
    overrides: list[str]
    problems: list[str]


def yaml_problems(dirs: Sequence[str | Path]) -> list[str]:
    """Every config file under ``dirs`` that is not valid YAML: ``file:line:column: what``, one line each.

    Checked before Hydra composes anything, so a bad indentation, a tab or an unclosed bracket in
    a file of one's own (``--config-dir``) is named by file and line instead of a traceback.
    """
    import yaml
    from omegaconf._utils import get_yaml_loader      # the loader Hydra reads conf files with
    from scenarios.yaml_keys import install
    install()
    problems = []
    for d in dirs:
        for path in sorted(Path(d).rglob("*.yaml")):
            try:
                yaml.load(path.read_text(encoding="utf-8"), Loader=get_yaml_loader())  # noqa: S506
            except UnicodeDecodeError as exc:
                problems.append(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                "allowed: a YAML file saved as UTF-8")
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                if "end of stream" in str(getattr(exc, "problem", "")) and getattr(exc, "context_mark", None):
                    mark = exc.context_mark   # an unclosed quote or bracket: where it was opened
                where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                context = getattr(exc, "context", None)
                text = f"{context}, {what}" if context else what
                if "\t" in text or "\\t" in text:
                    text += " (a tab: YAML indents with spaces only)"
                problems.append(f"{where}: not valid YAML: {text}; allowed: YAML as in conf/ "
                                "(spaces for indentation, closed brackets and quotes)")
    return problems


def _file_problems(arguments: Sequence[str], conf_dir: str | None,
                   extra_dirs: Sequence[str]) -> list[JobCheck] | None:
    """What stops any composing: an override that does not parse, a file of one's own that is
    not YAML (the one failed check), else None."""
    from hydra.errors import OverrideParseException
    unparsable = []
    for line in arguments:
        try:
            parse_overrides([line])
        except OverrideParseException as exc:
            unparsable.append(describe_override_error(line, exc, conf_dir or CONF_DIR))
    if unparsable:       # e.g. a key that is not an identifier (+åäö=1): one message per line
        return [JobCheck(0, [], unparsable)]
    broken = yaml_problems(extra_dirs)
    if broken:           # a config file of one's own that is not YAML: nothing can be composed
        return [JobCheck(0, [], broken)]
    return None


def check_run(arguments: Sequence[str], *, conf_dir: str | None = None, config_name: str = "config",
              extra_dirs: Sequence[str] = (),
              compose: Callable[[], ComposedRun | None] | None = None,
              ) -> tuple[list[JobCheck], ComposedRun | None]:
    """Check a single run; with ``compose``, on the config Hydra's run will compose (issue 15).

    ``compose`` (:func:`simulation.app.handover.compose_run`) composes the run's whole config as
    Hydra's run will; when it does and that config has no problem, it is returned with the
    check, for Hydra's run to take (:func:`simulation.app.handover.handed_over`). Where it does
    not apply, does not compose or finds a problem, the run is checked as :func:`check_grid`
    checks it (the same messages) and nothing is returned to hand over.
    """
    failed = _file_problems(arguments, conf_dir, extra_dirs)
    if failed:
        return failed, None
    with checker(conf_dir, config_name, extra_dirs) as chk:
        job = task_overrides(arguments)
        unsafe = chk.command_line_problems(arguments)
        if unsafe:      # nothing is composed: a path may point at a file outside conf/
            return [JobCheck(0, job, unsafe)], None
        composed = None
        if compose is not None:
            try:
                composed = compose()
            except Exception:  # noqa: BLE001 - the check below composes again and names it
                composed = None
        if composed is not None and not chk.config_problems(composed.task_config(), job):
            return [JobCheck(0, job, [])], composed
        return [JobCheck(0, job, chk.check(job))], None


def check_grid(arguments: Sequence[str], *, multirun: bool = True, conf_dir: str | None = None,
               config_name: str = "config", extra_dirs: Sequence[str] = ()) -> list[JobCheck]:
    """Check every job a command line would launch (the whole grid with ``multirun``)."""
    if not multirun:
        return check_run(arguments, conf_dir=conf_dir, config_name=config_name, extra_dirs=extra_dirs)[0]
    failed = _file_problems(arguments, conf_dir, extra_dirs)
    if failed:
        return failed
    with checker(conf_dir, config_name, extra_dirs) as chk:
        params, target = chk.sweeper(arguments)
        if target != BASIC_SWEEPER:
            raise ValueError(f"sweeper {target} chooses its own jobs; only the basic sweeper's "
                             "grid can be checked in advance")
        jobs = expand_grid(params, arguments)
        unsafe = chk.command_line_problems(arguments)
        if unsafe:      # nothing is composed: a path may point at a file outside conf/
            return [JobCheck(i, job, unsafe) for i, job in enumerate(jobs)]
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


# --- the command line: Hydra's own flags ----------------------------------------------------

def parse_command_line(args: Sequence[str]):
    """Hydra's own argument parser on ``args``; None where Hydra will refuse them itself."""
    from hydra._internal.utils import get_args_parser
    parser = get_args_parser()
    try:
        return parser.parse_args(list(args))
    except SystemExit:
        return None


def search_dirs(ns) -> tuple[str, list[str]]:
    """(primary config dir, extra dirs) as Hydra resolves ``--config-path`` and ``--config-dir``."""
    primary = CONF_DIR
    if ns.config_path is not None:
        # relative to the file declaring @hydra.main (simulation/app/task.py: this directory)
        here = Path(__file__).resolve().parent
        primary = str((here / ns.config_path).resolve()) if not Path(ns.config_path).is_absolute() \
            else ns.config_path
    extra = [str(Path(ns.config_dir).resolve())] if ns.config_dir else []
    return primary, extra


def unknown_config_name(name: str, conf_dir: str, extra_dirs: Sequence[str]) -> str | None:
    """``--config-dir`` that is no folder, or ``--config-name`` naming no primary config in the
    search path: the message (else None)."""
    for d in extra_dirs:
        if not Path(d).is_dir():
            return (f"--config-dir={d}: no such folder; allowed: a folder of config files laid out like "
                    "conf/ (municipality/NAME.yaml, intervention/NAME.yaml, ...)")
    dirs = [Path(conf_dir), *map(Path, extra_dirs)]
    stem = name[:-5] if name.endswith(".yaml") else name
    if any((d / f"{stem}.yaml").is_file() for d in dirs):
        return None
    options = sorted({p.stem for d in dirs for p in d.glob("*.yaml")})
    near = difflib.get_close_matches(stem, options, n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    return (f"--config-name={name}: no such primary config in {', '.join(map(str, dirs))}; "
            f"{hint}allowed: {', '.join(options)}")


#: the output folders conf/config.yaml names (``hydra.run.dir``, ``hydra.sweep.dir``) before their
#: timestamp: where a run goes unless the command line says otherwise
DEFAULT_OUTPUT_DIRS = {"hydra.run.dir": "results/runs", "hydra.sweep.dir": "results/sweeps"}


def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_dir_problem(overrides: Sequence[str], multirun: bool) -> str | None:
    """Can the run (or sweep) folder be created? The message naming the key and value, or None.

    Nothing is left behind: the deepest existing parent of the folder must be a directory in
    which this process can create one (tried with an empty temporary folder, removed at once;
    ``os.access`` alone says yes to root on a read-only mount or under ``/proc``). A value with an
    interpolation (``${now:...}``) is checked up to its first ``${``.
    """
    import os
    import tempfile
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    value = DEFAULT_OUTPUT_DIRS[key]
    for line in overrides:
        k, sep, v = line.partition("=")
        if sep and k.lstrip("+~") == key:
            value = v.strip().strip("'\"")
    literal = value.split("${", 1)[0]
    if not literal.strip():
        return None                                  # all interpolation: Hydra resolves it
    folder = Path(literal).expanduser().absolute()
    if "${" in value and not literal.endswith(("/", os.sep)):
        folder = folder.parent                       # "runs/x_${now:...}": the folder is created in runs/
    base = _first_existing(folder)
    allowed = f"allowed: a folder that can be created and written (e.g. {key}={DEFAULT_OUTPUT_DIRS[key]}/NAME)"
    if not base.is_dir():
        return f"{key}={value}: cannot create a folder there: {base} is a file, not a folder; {allowed}"
    try:
        probe = tempfile.mkdtemp(prefix=".sifsim-probe-", dir=base)
    except OSError as exc:
        return f"{key}={value}: cannot create a folder in {base} ({exc.strerror or exc}); {allowed}"
    os.rmdir(probe)
    return None


def preflight(args: list[str]) -> int:
    """Check the config of every job a command line would run, before Hydra creates anything.

    Returns 0 to go on, 2 after printing every problem. Runs whatever Hydra
    flags are given (``-cn``, ``-cp``, ``-cd``, ``-m``); only command lines that
    run no task (``--help``, ``--cfg``, ``--info``, shell completion) or that
    Hydra's parser refuses are left to Hydra. A single run is always checked
    here, so a bad value never reaches a run folder; a sweep whose sweeper
    chooses its own jobs is checked job by job inside each job.
    """
    return preflight_run(args)[0]


def preflight_run(args: list[str], task_function: Callable | None = None,
                  config_path: str | None = None,
                  config_name: str | None = None) -> tuple[int, ComposedRun | None]:
    """:func:`preflight`, and for a single run of ``task_function`` (the ``@hydra.main`` task and
    its decorator's ``config_path``, ``config_name``) the config its Hydra run will compose,
    checked, for :func:`simulation.app.handover.handed_over` (None: Hydra composes it itself)."""
    ns = parse_command_line(args)
    if ns is None or ns.help or ns.hydra_help or ns.cfg or ns.info or ns.shell_completion \
            or ns.experimental_rerun:
        return 0, None
    code, composed = _preflight(ns, task_function, config_path, config_name)
    return code, composed if code == 0 else None


def _preflight(ns, task_function: Callable | None, decorator_config_path: str | None,
               decorator_config_name: str | None) -> tuple[int, ComposedRun | None]:
    multirun = bool(ns.multirun)
    overrides = list(ns.overrides)
    conf_dir, extra_dirs = search_dirs(ns)
    config_name = ns.config_name or "config"
    message = unknown_config_name(config_name, conf_dir, extra_dirs)
    if message:
        print(message, file=sys.stderr)
        return 2, None
    try:
        if not multirun and any(o.is_sweep_override() for o in parse_overrides(overrides)):
            return 0, None  # Hydra explains that a sweep needs --multirun
    except Exception:  # noqa: BLE001 - an unparsable override: the check below names it
        pass
    message = output_dir_problem(overrides, multirun)
    if message:
        print(str(ConfigError([message])), file=sys.stderr)
        return 2, None
    composed = None
    try:
        if multirun:
            checks = check_grid(overrides, multirun=True, conf_dir=conf_dir,
                                config_name=config_name, extra_dirs=extra_dirs)
        else:
            compose = None
            if task_function is not None:
                from simulation.app import handover

                def compose():
                    return handover.compose_run(ns, task_function, decorator_config_path,
                                                decorator_config_name)
            checks, composed = check_run(overrides, conf_dir=conf_dir, config_name=config_name,
                                         extra_dirs=extra_dirs, compose=compose)
    except Exception as exc:  # noqa: BLE001
        if multirun:
            return 0, None   # a sweeper that picks its own jobs: each job is checked when it runs
        print(f"sifsim: not started: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2, None
    bad = [c for c in checks if c.problems]
    if not bad:
        return 0, composed
    if multirun:
        print("sweep not started, invalid configuration:\n"
              + format_checks(checks, ok_lines=False), file=sys.stderr)
    else:
        print(str(ConfigError(bad[0].problems)), file=sys.stderr)
    return 2, None


#: the Hydra flags ``sifsim validate`` takes (each followed by a value), besides ``-m``
CONFIG_FLAGS = ("-cd", "--config-dir", "-cn", "--config-name", "-cp", "--config-path")


def validate_main(argv: list[str]) -> int:
    """``sifsim validate [-m] [-cd DIR] [-cn NAME] [-cp PATH] [overrides ...]``: check every job; run nothing.

    Sweep syntax (``key=a,b,c``, ``range(...)``) and an experiment's
    ``hydra.sweeper.params`` are expanded as ``sifsim -m`` would; ``-m`` is
    accepted and implied. ``--config-dir/-cd``, ``--config-name/-cn`` and
    ``--config-path/-cp`` select the config as they do for ``sifsim``.
    Exit 0 when every job is valid, 2 otherwise.
    """
    if any(a in ("-h", "--help") for a in argv):
        print(validate_main.__doc__)
        return 0
    unknown, after_flag = [], False
    for a in argv:
        if after_flag:
            after_flag = False
        elif a in CONFIG_FLAGS:
            after_flag = True
        elif a.startswith("-") and a not in ("-m", "--multirun") and a.split("=")[0] not in CONFIG_FLAGS:
            unknown.append(a)
    if unknown:
        print(f"sifsim validate: unknown option {unknown[0]}; give overrides and -m, -cd, -cn, -cp only",
              file=sys.stderr)
        return 2
    ns = parse_command_line(argv)
    if ns is None:            # argparse has said what is wrong (a flag without its value)
        return 2
    conf_dir, extra_dirs = search_dirs(ns)
    message = unknown_config_name(ns.config_name or "config", conf_dir, extra_dirs)
    if message:
        print(f"sifsim validate: {message}")          # validate reports on stdout
        return 2
    try:
        checks = check_grid(list(ns.overrides), multirun=True, conf_dir=conf_dir,
                            config_name=ns.config_name or "config", extra_dirs=extra_dirs)
    except Exception as exc:  # noqa: BLE001 - a bad override line or sweep type
        print(f"sifsim validate: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(format_checks(checks))
    return 2 if any(c.problems for c in checks) else 0
