"""A single run's config composed once and handed to Hydra's run (issue 15: simulation/app/handover.py).

What must hold: the config Hydra's run gets through the handover is the one it would have
composed itself (every node, every flag, ``.hydra/*.yaml`` byte for byte), a run folder is the
same with and without it, a bad config gets the same messages, and the seam is used only with
the Hydra it was written against — any other is today's path, and this file fails on it.
"""

from __future__ import annotations

import pickle
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from simulation.app import cli, grid, handover, task

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("corpus.yaml", "corpus_cli.yaml", "corpus_issue9.yaml")


@pytest.fixture(autouse=True)
def _schema_registered():
    from scenarios.registry import register_configs
    register_configs()            # what sifsim's main does first (the config's structured schema)


@contextmanager
def recorded_handovers(monkeypatch):
    """Every ``handed_over`` of the command: the ComposedRun given (None: no handover)."""
    seen: list = []
    real = handover.handed_over

    @contextmanager
    def spy(composed):
        seen.append(composed)
        with real(composed) as c:
            yield c
    monkeypatch.setattr(handover, "handed_over", spy)
    yield seen


def seam_off(monkeypatch):
    monkeypatch.setattr(handover, "seam_problem", lambda: "switched off by the test")


def run_cli(argv: list[str], cwd: Path, monkeypatch) -> None:
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["sifsim", *argv])
    try:
        cli.main()
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code


def recorder(monkeypatch) -> list[dict]:
    """Replace the task's work by a record of what Hydra gave it: the config and Hydra's own node."""
    from hydra.core.hydra_config import HydraConfig
    records: list[dict] = []

    def execute(cfg, output_dir, **kwargs):
        hc = HydraConfig.instance().cfg
        # the resolvers' cache holds ${now:...} as of the composition: which values, not when
        cached = {name: sorted(values) for name, values in OmegaConf.get_cache(cfg).items()}
        OmegaConf.clear_cache(cfg)
        records.append({"task": OmegaConf.to_yaml(cfg), "hydra": OmegaConf.to_yaml(hc),
                        "flags": (OmegaConf.is_struct(cfg), OmegaConf.is_readonly(cfg),
                                  OmegaConf.is_struct(hc.hydra), OmegaConf.is_readonly(hc.hydra)),
                        "task_pickle": pickle.dumps(cfg), "cached": cached})
        return 0
    monkeypatch.setattr(task, "execute", execute)
    return records


# --- the seam is tied to the pinned Hydra ------------------------------------------------------

def test_the_seam_is_on_for_the_pinned_hydra():
    import hydra
    pin = re.search(r'"hydra-core==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert pin == handover.PINNED_HYDRA == hydra.__version__, (
        "hydra-core moved: read simulation/app/handover.py against the new Hydra's _run_hydra, "
        "get_mode, run and load_configuration, then update PINNED_HYDRA")
    assert handover.seam_problem() is None


def test_another_hydra_or_a_changed_function_turns_the_seam_off(monkeypatch):
    import hydra
    import hydra._internal.utils as hydra_utils
    ns = grid.parse_command_line(["replications=2"])
    monkeypatch.setattr(hydra, "__version__", "1.3.9")
    assert "1.3.9" in handover.seam_problem()
    assert handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH, task.HYDRA_CONFIG_NAME) is None
    monkeypatch.setattr(hydra, "__version__", handover.PINNED_HYDRA)

    def _run_app(run, multirun, mode, hydra, config_name, task_function, overrides):
        pass                     # a Hydra that no longer appends hydra.mode=RUN
    monkeypatch.setattr(hydra_utils, "_run_app", _run_app)
    assert "_run_app" in handover.seam_problem()
    assert handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH, task.HYDRA_CONFIG_NAME) is None


@pytest.mark.parametrize("overrides", [["hydra.mode=RUN"], ["hydra.job.env_copy=[HOME]"], ["-m", "seed=1"]],
                         ids=["mode_set", "env_copy", "multirun"])
def test_what_the_seam_does_not_cover_is_left_to_hydra(overrides):
    ns = grid.parse_command_line(overrides)
    assert handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH, task.HYDRA_CONFIG_NAME) is None


# --- the handed-over config is Hydra's own ---------------------------------------------------

COMMAND_LINES = {
    "default": [],
    "overrides": ["replications=4", "charts=false", "intervention=skolfam"],
    "experiment_and_hydra_keys": ["+experiment=sensitivity", "hydra.job_logging.root.level=WARNING",
                                  "hydra.job.name=own_name"],
    "config_name_and_path": ["-cn", "config", "--config-path", str(ROOT / "conf"), "seed=7"],
    "config_dir": ["--config-dir", "OWN", "municipality=orebro", "population.households=300"],
}


@pytest.mark.parametrize("case", sorted(COMMAND_LINES), ids=str)
def test_hydras_run_gets_the_config_it_would_have_composed(case, tmp_path, monkeypatch):
    own = tmp_path / "own"
    (own / "municipality").mkdir(parents=True)
    malmo = yaml.safe_load((ROOT / "conf" / "municipality" / "malmo.yaml").read_text())
    (own / "municipality" / "orebro.yaml").write_text(yaml.safe_dump({**malmo, "name": "orebro"}))
    argv = [str(own) if a == "OWN" else a for a in COMMAND_LINES[case]] + ["workers=1"]
    results = {}
    for way in ("handed_over", "composed_by_hydra"):
        with monkeypatch.context() as m:
            if way == "composed_by_hydra":
                seam_off(m)
            records = recorder(m)
            with recorded_handovers(m) as seen:
                run_cli([*argv, f"hydra.run.dir={tmp_path / way}"], tmp_path, m)
        (composed,) = seen
        assert (composed is None) == (way == "composed_by_hydra")
        if composed is not None:
            assert composed.answered == ["get_mode", "load_configuration"], "Hydra composed itself"
        (record,) = records
        results[way] = record
        results[way]["files"] = {name: (tmp_path / way / ".hydra" / name).read_text()
                                 for name in ("config.yaml", "hydra.yaml", "overrides.yaml")}
    a, b = results["handed_over"], results["composed_by_hydra"]
    assert a["task"] == b["task"] and a["task_pickle"] == b["task_pickle"]
    assert a["flags"] == b["flags"] and a["cached"] == b["cached"]
    assert a["hydra"].replace("handed_over", "WAY") == b["hydra"].replace("composed_by_hydra", "WAY")
    assert a["files"]["config.yaml"] == b["files"]["config.yaml"]
    assert a["files"]["overrides.yaml"] == b["files"]["overrides.yaml"]
    assert a["files"]["hydra.yaml"].replace("handed_over", "WAY") == \
        b["files"]["hydra.yaml"].replace("composed_by_hydra", "WAY")
    assert "- hydra.mode=RUN" in a["files"]["hydra.yaml"]    # the override Hydra appends, recorded


def test_a_run_folder_is_the_same_with_and_without_the_handover(tmp_path, monkeypatch):
    argv = ["replications=2", "horizon_years=5", "charts=false", "workers=1", "intervention=skolfam"]
    folders = {}
    for way in ("handed_over", "composed_by_hydra"):
        with monkeypatch.context() as m:
            if way == "composed_by_hydra":
                seam_off(m)
            with recorded_handovers(m) as seen:
                run_cli([*argv, f"hydra.run.dir={tmp_path / way}"], tmp_path, m)
            assert (seen[0] is not None) == (way == "handed_over")
        folders[way] = tmp_path / way
    files = {way: sorted(p.relative_to(f).as_posix() for p in f.rglob("*") if p.is_file())
             for way, f in folders.items()}
    assert files["handed_over"] == files["composed_by_hydra"]
    timed = {"sifsim.log", "done.json", "manifest.json", ".hydra/hydra.yaml"}
    for name in files["handed_over"]:
        # the folder's name is in the marker (.sifsim-created.json); the tables have none
        a, b = ((folders[w] / name).read_bytes().replace(w.encode(), b"WAY") for w in folders)
        if name not in timed:
            assert a == b, name
    import json
    ma, mb = (json.loads((folders[w] / "manifest.json").read_text()) for w in folders)
    assert sorted(ma) == sorted(mb)
    untimed = [{k: v for k, v in m.items() if k != "wall_time_s"} for m in (ma, mb)]
    assert untimed[0] == untimed[1]
    ha, hb = ((folders[w] / ".hydra" / "hydra.yaml").read_text().replace(w, "WAY") for w in folders)
    assert ha == hb


# --- answers only the calls it was composed for -------------------------------------------------

def test_other_calls_compose_as_before():
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_automatic_config_search_path
    from hydra.errors import MissingConfigException
    from hydra.types import RunMode

    def app(config_path):
        return Hydra(task_name="task", config_loader=ConfigLoaderImpl(
            config_search_path=create_automatic_config_search_path(None, "simulation.app.task", config_path)))

    ns = grid.parse_command_line(["replications=3"])
    composed = handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH, task.HYDRA_CONFIG_NAME)
    assert composed is not None and composed.cfg.replications == 3
    assert composed.run_overrides == ["replications=3", "hydra.mode=RUN"]
    same, elsewhere = app(task.HYDRA_CONFIG_PATH), app(str(ROOT / "tests"))   # no config there
    with handover.handed_over(composed):
        # other overrides, or the run's call before get_mode was answered: composed for real
        other = same.config_loader.load_configuration("config", ["replications=5", "hydra.mode=RUN"],
                                                      RunMode.RUN)
        assert other.replications == 5 and composed.answered == []
        again = same.config_loader.load_configuration("config", composed.run_overrides, RunMode.RUN)
        assert again is not composed.cfg and composed.answered == []
        # another loader's search path: composed (get_mode too: its MULTIRUN compose says None)
        assert elsewhere.get_mode("config", ["replications=3"]) is None and composed.answered == []
        assert same.get_mode("config", ["replications=3"]) is None
        assert composed.answered == ["get_mode"]
        with pytest.raises(MissingConfigException):
            elsewhere.config_loader.load_configuration("config", composed.run_overrides, RunMode.RUN)
        assert same.config_loader.load_configuration("config", composed.run_overrides, RunMode.RUN) \
            is composed.cfg
        assert composed.answered == ["get_mode", "load_configuration"]
        # each once: Hydra's own functions are back as soon as the run's config is given
        assert Hydra.get_mode.__qualname__ == "Hydra.get_mode"
        assert ConfigLoaderImpl.load_configuration.__qualname__ == "ConfigLoaderImpl.load_configuration"
        assert same.config_loader.load_configuration("config", composed.run_overrides, RunMode.RUN) \
            is not composed.cfg
    unused = handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH, task.HYDRA_CONFIG_NAME)
    with handover.handed_over(unused):
        assert "handed_over" in Hydra.get_mode.__qualname__
    # left without a run: restored
    assert Hydra.get_mode.__qualname__ == "Hydra.get_mode"
    assert ConfigLoaderImpl.load_configuration.__qualname__ == "ConfigLoaderImpl.load_configuration"


# --- bad input: the same messages -----------------------------------------------------------------

def override_kind(case: dict) -> tuple:
    """What composing a case's overrides exercises: per override its prefix (``+``, ``++``, ``~``),
    group or value, ``hydra.*`` or not, the value's type and whether it interpolates."""
    groups = grid.config_groups(grid.CONF_DIR)
    ns = grid.parse_command_line(case["overrides"])
    return tuple(sorted({(o.input_line.split(o.key_or_group)[0], o.key_or_group in groups,
                          o.key_or_group.startswith("hydra"), type(o.value()).__name__, "${" in o.input_line)
                         for o in grid.parse_overrides(ns.overrides)}))


def test_a_bad_config_is_judged_on_the_handed_over_config_as_on_the_checks_own():
    """The single-run cases of the bad-config corpora, one of each kind of override (composing
    each costs ≈ 0.4 s): the problems found on the config composed for Hydra's run are the ones
    the check finds on its own config, so the seam refuses what the check refuses (and then
    prints the check's own lines: grid.check_run)."""
    judged, kinds = [], set()
    with grid.checker() as chk:
        for corpus in CORPORA:
            for name, case in yaml.safe_load((ROOT / "tests" / "bad_configs" / corpus).read_text()).items():
                ns = grid.parse_command_line(case["overrides"])
                if ns is None or ns.multirun or ns.config_dir or \
                        grid.output_dir_problem(list(ns.overrides), False) or \
                        chk.command_line_problems(ns.overrides):
                    continue        # refused before anything is composed
                try:
                    kind = override_kind(case)
                except Exception:  # noqa: BLE001 - an override that does not parse: nothing composes
                    continue
                if kind in kinds:
                    continue
                try:
                    composed = handover.compose_run(ns, task.hydra_main, task.HYDRA_CONFIG_PATH,
                                                    task.HYDRA_CONFIG_NAME)
                except Exception:  # noqa: BLE001 - does not compose: the check's own path
                    continue
                kinds.add(kind)
                assert composed is not None, name
                job = grid.task_overrides(ns.overrides)
                problems = chk.config_problems(composed.task_config(), job)
                assert problems and problems == chk.check(job), name
                judged.append(name)
    assert len(judged) >= 12, judged     # 14 kinds compose in the corpora of 2026-12-02
