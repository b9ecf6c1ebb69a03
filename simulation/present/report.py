"""Charts and a self-contained HTML report from a finished run or sweep folder, without re-running.

    sifsim report FOLDER [--language sv|en]      (≡ python -m simulation report …)

A run folder (``population.parquet`` …) gets ``charts/*.png|svg`` and ``report.html``; a sweep
folder (``sweep_summary.csv``) gets the sweep charts and its own ``report.html``. The report
embeds its charts as base64 PNG and has no scripts, fonts or links: it opens offline and can be
mailed as one file. Building twice from the same tables gives byte-identical files.

This module reads the folder (tables, config, manifest) and hands the tables to the builders in
:mod:`simulation.present.run_report` and :mod:`simulation.present.sweep_report`.

The assumptions table carries each value's source label as written in the comments of the
``conf/`` files the run used (seed / pub / derived / assumption / reading, confidence H/M/L).
Those comments are captured once, into ``assumptions.csv`` in the run folder, the first time the
report is built — so a later rebuild shows the sources as they were when the run was made.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd
import yaml

from simulation.present.workbook import write_workbook
from simulation.present.charts import completed, same_value, sorted_levels, swept_keys
from simulation.present.files import atomic_write, read_config, read_table
from simulation.present.yaml_read import SAFE_LOADER
from simulation.present.run_report import OPTIONAL_TABLES, run_report_tables, write_run_report
from simulation.present.sweep_report import rule_labels_of, write_sweep_report

if TYPE_CHECKING:
    from simulation.present.charts.parallel import PendingCharts

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
ECONOMY_OPTION = "sweden_2017"          # the one economy group option (the config does not name it)
ASSUMPTIONS_FILE = "assumptions.csv"


# --- reading a folder ---------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict:
    """The run's manifest.json, or {} when it has none."""
    path = folder / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


# --- sources of the assumptions (conf comments) ------------------------------------------------------

from scenarios import provenance  # noqa: E402  (the records of conf/: one per leaf key, scenarios/provenance.py)


def lookup(tree: Any, path: Iterable[str]) -> Any:
    for key in path:
        if isinstance(tree, Mapping) and key in tree:
            tree = tree[key]
        else:
            raise KeyError(".".join(path))
    return tree


def conf_files(config: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(group, option, path of the group's node in the config) for every conf file the run used."""
    files = [("economy", ECONOMY_OPTION, ("economy",)),
             ("municipality", config.get("municipality", {}).get("name", ""), ("municipality",)),
             ("population", config.get("population", {}).get("name", ""), ("population",))]
    portfolio = config.get("portfolio") or {}
    if portfolio:
        files += [("intervention", item.get("name", name), ("portfolio", name)) for name, item in portfolio.items()]
    else:
        files.append(("intervention", config.get("intervention", {}).get("name", ""), ("intervention",)))
    files += [("repayment", rule, ("repayment",)) for rule in (config.get("repayment", {}).get("rules") or {})]
    return files


def collect_assumptions(config: Mapping[str, Any], conf_dir: Path = CONF_DIR) -> pd.DataFrame:
    """Every default of the conf files the run used (with what their defaults lists pull in, e.g.
    conf/base/), the run's value beside it and the record's source label and confidence."""
    rows = []
    for group, option, node in conf_files(config):
        path = conf_dir / group / f"{option}.yaml"
        if not option or not path.exists():
            continue
        parsed = provenance.resolved(path, conf_dir)
        header = parsed.header
        records = list(parsed.records)
        if group == "repayment":  # one row for the rule itself: its label's record, its header as comment
            own = next((r for r in records if r.key == f"rules.{option}.label"), None)
            rule = lookup(config, node + ("rules", option))
            rows.append({"group": group, "option": option, "key": f"repayment.rules.{option}",
                         "value": json.dumps(rule.get("label", option), ensure_ascii=False), "changed": False,
                         "label": own.source_label if own else "", "confidence": own.confidence if own else "",
                         "comment": header, "file_note": ""})
            records = [r for r in records if r is not own]
        for rec in records:
            keypath = tuple(rec.key.split("."))
            try:
                value = lookup(config, node + keypath)
            except KeyError:
                continue  # a key the typed config does not carry
            rows.append({"group": group, "option": option, "key": ".".join(node + keypath),
                         "value": json.dumps(value, ensure_ascii=False), "changed": not same(value, rec.value),
                         "label": rec.source_label, "confidence": rec.confidence, "comment": rec.describe(),
                         # a rule's header is already its own row's comment
                         "file_note": "" if group == "repayment" else header})
    return pd.DataFrame(rows, columns=["group", "option", "key", "value", "changed", "label", "confidence",
                                       "comment", "file_note"])


def same(value: Any, default: Any) -> bool:
    """Whether the run's ``value`` is the conf file's ``default``.

    Keys the file leaves out are not compared: only the file's keys are.
    """
    a, b = value, default
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        a = {str(k): v for k, v in a.items()}
        return all(str(k) in a and same(a[str(k)], v) for k, v in b.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b



def load_or_capture_assumptions(folder: Path, config: Mapping[str, Any],
                                collected: pd.DataFrame | None = None) -> pd.DataFrame:
    """The run's assumptions table: read from the folder, or captured from conf/ the first time
    (``collected``: :func:`collect_assumptions` of this config, already made: ``sifsim`` makes it
    while the replications run, :mod:`simulation.app.prepare`)."""
    path = folder / ASSUMPTIONS_FILE
    if path.exists():
        frame = pd.read_csv(path, keep_default_na=False, dtype=str)
        frame["changed"] = frame["changed"].str.lower() == "true"
        return frame
    frame = collect_assumptions(config) if collected is None else collected
    atomic_write(path, lambda p: frame.to_csv(p, index=False))
    return frame


# --- the run report ---------------------------------------------------------------------------------

def build_report(folder: Path, language: str | None = None, workers: int = 1,
                 drawing: "PendingCharts | None" = None, mp_context=None,
                 assumptions: pd.DataFrame | None = None) -> list[Path]:
    """(Re)build every chart and ``report.html`` of a run folder from its tables.

    ``workers`` > 1: the charts are drawn in that many processes (each from the folder's
    tables) while this one writes the workbook; the files are the same bytes either way.
    ``drawing``: charts of this folder already being drawn (:func:`start_charts`, which
    ``sifsim`` calls as soon as the Parquet tables are written); this function waits for them
    and shuts their workers down. ``mp_context``: how the chart workers start (default
    :func:`simulation.present.charts.parallel.chart_context`; ``sifsim`` passes its warm server).
    ``assumptions``: the table :func:`collect_assumptions` makes from the folder's config, made
    already (used only if the folder has no ``assumptions.csv`` yet).
    """
    folder = Path(folder)
    config = read_config(folder)
    lang = language or config.get("language", "sv")
    if drawing is None:
        drawing = start_charts(folder, lang, workers, mp_context) if workers > 1 else contextlib.nullcontext()
    with drawing as pending:
        tables = {stem: read_table(folder, stem) for stem in run_report_tables()}
        tables.update({stem: read_table(folder, stem) for stem in OPTIONAL_TABLES
                       if (folder / f"{stem}.parquet").exists() or (folder / f"{stem}.csv").exists()})
        assumptions = load_or_capture_assumptions(folder, config, assumptions)
        manifest = read_manifest(folder)
        from simulation import __version__
        workbook = write_workbook(folder, {**tables, "assumptions": assumptions}, lang,
                                  version=(manifest or {}).get("sifsim_version", __version__),
                                  price_year=int(config.get("economy", {}).get("price_base_year", 2017)))
        # the page is written while the last charts are drawn; it waits for them at its charts section
        paths = write_run_report(tables, config, folder, assumptions, language=language, manifest=manifest,
                                 chart_files=pending.result if pending is not None else None)
    return paths[:-1] + [folder / ASSUMPTIONS_FILE, workbook, paths[-1]]


def start_charts(folder: Path, language: str, workers: int, mp_context=None, pool=None) -> "PendingCharts":
    """Start drawing every run chart of ``folder`` (its Parquet tables and ``config.yaml`` written)
    in ``workers`` processes (started by ``mp_context``, default the chart workers' own fork
    server), or in the caller's ``pool``; hand the result to :func:`build_report` (``drawing=``),
    which waits."""
    from simulation.present.charts.parallel import PendingCharts
    return PendingCharts(Path(folder), language, workers, mp_context=mp_context, pool=pool)


# --- the sweep report -------------------------------------------------------------------------------

def conf_default(key: str, conf_dir: Path = CONF_DIR) -> Any:
    """The default of a dotted config key from conf/ (config.yaml and its group defaults); None if unknown."""
    root = yaml.load((conf_dir / "config.yaml").read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    groups = {}
    for entry in root.get("defaults", []):
        if isinstance(entry, Mapping):
            for group, option in entry.items():
                groups[str(group)] = option
    parts = key.split(".")
    try:
        if parts[0] in groups:
            if len(parts) == 1:
                return groups[parts[0]]
            data = yaml.load((conf_dir / parts[0] / f"{groups[parts[0]]}.yaml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)
            return lookup(data, parts[1:])
        return lookup(root, parts)
    except (KeyError, OSError):
        return None


def sweep_baseline(table: pd.DataFrame, keys: list[str]) -> dict[str, Any]:
    """Each swept key's default if it is one of the swept levels, else its middle level."""
    baseline = {}
    for key in keys:
        levels = sorted_levels(table[key])
        default = conf_default(key)
        match = next((v for v in levels if default is not None and same_value(v, default)), None)
        baseline[key] = match if match is not None else levels[len(levels) // 2]
    return baseline


def sweep_job_config(folder: Path) -> dict:
    """The config of the sweep's first job that has one (language, rule labels)."""
    configs = sorted(folder.glob("*/config.yaml"), key=lambda p: (len(p.parent.name), p.parent.name))
    return yaml.load(configs[0].read_text(encoding="utf-8"), Loader=SAFE_LOADER) if configs else {}


def build_sweep_report(sweep_folder: Path, language: str | None = None,
                       baseline_overrides: Mapping[str, Any] | None = None, workers: int = 1,
                       mp_context=None) -> list[Path]:
    """Sweep charts (heatmap when two or more keys were swept; tornados) and ``report.html``;
    the charts drawn by ``workers`` processes (started by ``mp_context``)."""
    folder = Path(sweep_folder)
    table = read_table(folder, "sweep_summary")
    job_config = sweep_job_config(folder)
    done = completed(table)
    baseline = dict(baseline_overrides) if baseline_overrides else sweep_baseline(done, swept_keys(done))
    return write_sweep_report(table, folder, baseline, language=language or job_config.get("language", "sv"),
                              rule_labels=rule_labels_of(job_config), workers=workers, mp_context=mp_context)


# --- command line -------------------------------------------------------------------------------------

def is_sweep_folder(folder: Path) -> bool:
    return (folder / "sweep_summary.csv").exists() or (folder / "sweep_summary.parquet").exists()


def is_run_folder(folder: Path) -> bool:
    return (folder / "population.parquet").exists() or (folder / "population.csv").exists()


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sifsim report",
                                     description="Regenerate the charts and report.html of a run or sweep folder "
                                                 "from its tables, without re-running the model.")
    parser.add_argument("folder", type=Path, help="a run folder (results/runs/…) or a sweep folder (results/sweeps/…)")
    parser.add_argument("--language", choices=("sv", "en"), default=None,
                        help="labels and text (default: the run's `language`)")
    args = parser.parse_args(argv)
    if is_sweep_folder(args.folder):
        paths = build_sweep_report(args.folder, args.language)
    elif is_run_folder(args.folder):
        paths = build_report(args.folder, args.language)
    else:
        parser.error(f"{args.folder} is neither a sifsim run folder (no population.parquet) "
                     f"nor a sweep folder (no sweep_summary.csv)")
    for path in paths:
        print(path)
    return 0
