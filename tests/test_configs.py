"""Every option of every config group and every experiment composes and runs a one-year horizon."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from scenarios.registry import register_configs
from scenarios.validation import collect_problems
from simulation.app import grid
from simulation.app import config as app_config
from simulation.core.runner import run

CONF = Path(app_config.CONF_DIR)
GROUPS = ("municipality", "intervention", "repayment", "population", "economy")
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
SHORT = ["horizon_years=1", "replications=1", "charts=false", "progress=false"]


def compose_cfg(*overrides: str, hydra: bool = False):
    register_configs()
    with initialize_config_dir(config_dir=app_config.CONF_DIR, version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=hydra)


def run_short(*overrides: str):
    config = app_config.to_typed(compose_cfg(*overrides, *SHORT))
    assert collect_problems(config) == []
    return config, run(config, progress=False)


def check_one_year(config, results, *, every_rule: bool = True) -> None:
    """A one-year run: both arms alike, whole simulated years from the start, the rules summarised.

    A portfolio (``config.portfolio``, fund experiments) simulates each grant as its own case.
    """
    cases = list(getattr(config, "portfolio", {}).values()) or [config.intervention]
    first_year = min(c.start_year for c in cases)
    last_year = max(c.start_year + (c.start_month > 1) for c in cases) + config.horizon_years - 1
    pop = results.population
    assert set(pop["arm"]) == {"intervention", "control"}
    assert first_year == pop["year"].min() and pop["year"].max() <= last_year
    per_arm = pop.groupby("arm", observed=True).size()
    assert per_arm["control"] == per_arm["intervention"]
    assert per_arm["control"] % 12 == 0 and per_arm["control"] >= 12 * len(cases)
    assert results.ledger["year"].between(first_year, last_year).all()
    rules = list(results.summary["rule"].unique())
    if every_rule:
        assert rules == list(config.repayment.rules)
    else:  # a grant whose money is not yet out after one year leaves no rule to summarise ("none")
        assert rules and set(rules) <= set(config.repayment.rules) | {"none"}
    metrics = set(results.summary["metric"])
    assert {"attributable_saving_sek", "intervention_cost_sek"} <= metrics
    if rules != ["none"]:
        assert {"p_full_repayment", "repaid_share", "written_off_sek"} <= metrics
    # the stock at the start is the configured number of households in each case, in both arms
    first = pop[(pop["year"] == first_year) & (pop["month"] == pop[pop["year"] == first_year]["month"].min())]
    on_eb = first.groupby("arm", observed=True)["households_on_eb"].sum()
    assert on_eb["control"] == pytest.approx(config.population.households * len(
        [c for c in cases if c.start_year == first_year]), rel=0.3)
    if config.intervention.name == "none" and not getattr(config, "portfolio", None):
        assert (results.summary.query("metric == 'intervention_cost_sek'")["mean"] == 0).all()


def test_every_group_has_options():
    assert all(any(g == group for g, _ in OPTIONS) for group in GROUPS)
    assert {"compare_rules", "effect_vs_displacement", "repayment_window"} <= set(EXPERIMENTS)


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_group_option_composes_and_runs_one_year(group, option):
    config, results = run_short(f"{group}={option}")
    if group in ("municipality", "intervention", "population"):
        assert getattr(config, group).name == option
    if group == "repayment":
        expected = {p.stem for p in (CONF / "repayment").glob("*.yaml")} - {"all"} if option == "all" \
            else {option}
        assert set(config.repayment.rules) == expected
    check_one_year(config, results, every_rule=group in ("repayment", "economy", "population"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_composes_and_runs_one_year(name):
    config, results = run_short(f"+experiment={name}")
    assert config.replications == 1 and config.horizon_years == 1   # the command line wins
    check_one_year(config, results, every_rule=False)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_grid_is_valid(name, capsys):
    """The whole grid an experiment sweeps (its hydra.sweeper.params) passes validation."""
    assert grid.validate_main([f"+experiment={name}"]) == 0, capsys.readouterr().out


def test_grid_experiments_declare_their_sweep():
    params = compose_cfg("+experiment=effect_vs_displacement", hydra=True).hydra.sweeper.params
    assert set(params) == {"intervention.effect_scale", "population.inflow_trend_per_year"}
    params = compose_cfg("+experiment=repayment_window", hydra=True).hydra.sweeper.params
    assert set(params) == {"horizon_years"}
    with grid.checker() as chk:
        jobs = grid.expand_grid(*[chk.sweeper(["+experiment=repayment_window"])[0],
                                   ["+experiment=repayment_window"]])
    assert [job[0] for job in jobs][:2] == ["horizon_years=4", "horizon_years=6"]


def test_compare_rules_is_every_preset_on_the_default_case():
    config = app_config.to_typed(compose_cfg("+experiment=compare_rules"))
    default = app_config.to_typed(compose_cfg())
    assert set(config.repayment.rules) == {p.stem for p in (CONF / "repayment").glob("*.yaml")} - {"all"}
    assert config.intervention == default.intervention
    assert config.population == default.population
    assert config.municipality == default.municipality


def test_hydra_settings_of_the_primary_config():
    hydra = compose_cfg(hydra=True).hydra
    assert hydra.job_logging.loggers.MESA.level == "WARNING"
    assert hydra.callbacks.sweep_summary._target_ == "simulation.app.sweep.SweepCallback"
    assert hydra.job.chdir is False


def test_slurm_launcher_preset_composes():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    launcher = compose_cfg("hydra/launcher=slurm", "hydra.launcher.partition=p", hydra=True).hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.cpus_per_task, launcher.timeout_min) == ("p", 1, 120)
