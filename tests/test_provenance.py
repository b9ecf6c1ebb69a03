"""Every default in conf/ is one record (meaning, unit, source label, confidence); conf/ is the only
place a default value lives; the vocabularies are declared once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from omegaconf import MISSING

from scenarios import provenance, schema, vocabulary
from scenarios.defaults import CONF_DIR, intervention, load_default_config, preset_rule
from tests.support import make_config

FILES = provenance.conf_paths()
GROUPS = ("municipality", "intervention", "repayment", "population", "economy")
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((CONF_DIR / g).glob("*.yaml"))]


def rel(path: Path) -> str:
    return str(path.relative_to(CONF_DIR))


# --- the grammar, file by file ------------------------------------------------------------------

def test_every_conf_file_is_covered_but_the_hydra_launchers():
    covered = {rel(p) for p in FILES}
    every = {rel(p) for p in CONF_DIR.rglob("*.yaml")}
    assert every - covered == {rel(p) for p in (CONF_DIR / "hydra").rglob("*.yaml")}
    assert {"config.yaml", "economy/sweden_2017.yaml", "base/intervention.yaml",
            "experiment/sensitivity.yaml"} <= covered


@pytest.mark.parametrize("path", FILES, ids=rel)
def test_every_leaf_key_has_meaning_unit_source_and_confidence(path):
    parsed = provenance.parse_file(path)
    assert parsed.problems == (), "\n".join(parsed.problems)
    for rec in parsed.records:
        where = f"{rec.file}:{rec.line} {rec.key}"
        assert rec.meaning and rec.unit and rec.source_text, where
        assert rec.source_label in vocabulary.SOURCE_LABELS, where
        assert rec.confidence in ("H", "M", "L", "L–M", "M–H", "L–H"), where


@pytest.mark.parametrize("path", FILES, ids=rel)
def test_record_values_are_the_files_values(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for rec in provenance.parse_file(path).records:
        node = data
        for part in rec.key.split("."):
            node = node[part]
        assert node == rec.value, rec.key


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_key_a_group_option_sets_has_a_record(group, option):
    """Walk the typed group the option composes to: each key is a record, or a section of records."""
    config = make_config(f"{group}={option}")
    records = {r.key for r in provenance.resolved(CONF_DIR / group / f"{option}.yaml").records}
    missing: list[str] = []

    def walk(obj, prefix: str) -> None:
        items = ([(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
                 if dataclasses.is_dataclass(obj) else list(obj.items()))
        for name, value in items:
            key = f"{prefix}{name}"
            if key in records:
                continue
            if dataclasses.is_dataclass(value) or (isinstance(value, dict) and value):
                walk(value, key + ".")
            else:
                missing.append(key)

    walk(getattr(config, group), "")
    assert not missing, f"conf/{group}/{option}.yaml: no record for {', '.join(missing)}"


def test_config_yaml_top_level_keys_are_records():
    keys = {r.key for r in provenance.parse_file(CONF_DIR / "config.yaml").records}
    top = {f.name for f in dataclasses.fields(schema.SifsimConfig)} - set(GROUPS)
    assert top == keys


# --- the grammar itself -------------------------------------------------------------------------

def test_parse_comment_reads_every_field():
    fields = provenance.parse_comment("HVB cost | unit: SEK per child-day | source: seed 004; pub: Socialstyrelsen "
                                      "| confidence: M-H | note: range 1 100–8 400")
    assert fields == {"meaning": "HVB cost", "unit": "SEK per child-day", "source": "seed 004; pub: Socialstyrelsen",
                      "source_label": "seed", "confidence": "M–H", "note": "range 1 100–8 400"}


@pytest.mark.parametrize("comment,message", [
    ("no fields at all", "missing unit, source, confidence"),
    ("m | unit: SEK | source: seed 004", "missing confidence"),
    ("m | unit: SEK | source: seed 004 | confidence: X", "confidence 'X'"),
    ("m | unit: SEK | source: seed 004 | confidence: H–L", "from lower to higher"),
    ("m | unit: SEK | source: guess | confidence: L", "does not start with a label"),
    ("m | unit: SEK | unit: kr | source: seed 004 | confidence: L", "given twice"),
    ("m | units: SEK | source: seed 004 | confidence: L", "is not a field"),
    ("unit: SEK | source: seed 004 | confidence: L", "no meaning"),
    ("m | unit: | source: seed 004 | confidence: L", "'unit' is empty"),
])
def test_parse_comment_refuses(comment, message):
    with pytest.raises(provenance.GrammarError, match=message):
        provenance.parse_comment(comment)


def test_a_file_names_the_file_line_and_key_of_each_problem(tmp_path):
    (tmp_path / "group").mkdir()
    path = tmp_path / "group" / "demo.yaml"
    path.write_text("# header\ndefaults:\n  - other\n\n"
                    "a: 1  # meaning | unit: SEK | source: seed 004 | confidence: H\n"
                    "b: 2\n"
                    "section:  # free text\n"
                    "  c: 3  # meaning | unit: SEK | source: seed 004 | confidence: Q\n"
                    "  d:  # a list | unit: items | source: assumption | confidence: L\n"
                    "    - 1\n"
                    "hydra:\n  sweeper:\n    params:\n      x.y: 1,2\n", encoding="utf-8")
    parsed = provenance.parse_file(path, tmp_path)
    assert [r.key for r in parsed.records] == ["a", "section.d"]
    assert parsed.record("section.d").value == [1]
    assert parsed.sections == {"section": "free text"}
    assert parsed.problems == (
        "group/demo.yaml:6: b: no comment; every leaf key needs 'meaning | unit: … | source: … | confidence: …'",
        "group/demo.yaml:8: section.c: confidence 'Q': allowed are H, M, L or a range such as L–M")


def test_resolved_records_follow_the_defaults_list():
    """An intervention's records include conf/base/intervention.yaml's; a preset's the base rule's, under
    its own name; population=city's those of malmo_oster; the file's own record wins."""
    gran = provenance.resolved(CONF_DIR / "intervention" / "gransoverskridande_team.yaml")
    assert gran.record("delay_months").file == "base/intervention.yaml"
    assert gran.record("participants_households").file == "intervention/gransoverskridande_team.yaml"
    rule = provenance.resolved(CONF_DIR / "repayment" / "sodertalje_2015.yaml")
    assert rule.record("rules.sodertalje_2015.share_of_basis").file == "base/repayment_rule.yaml"
    assert rule.record("rules.sodertalje_2015.instalments").file == "repayment/sodertalje_2015.yaml"
    city = provenance.resolved(CONF_DIR / "population" / "city.yaml")
    assert city.record("households").value == 10000
    assert city.record("eb_exit_hazard_per_month").file == "population/malmo_oster.yaml"


# --- one source of truth for default values -----------------------------------------------------

def schema_classes():
    seen, todo = [], [schema.SifsimConfig]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for f in dataclasses.fields(cls):
            if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
                todo.append(f.default_factory)
    return seen + [schema.AdultOutcomeCost, schema.UnitConfig, schema.Reorganisation, schema.ProtectiveMechanism,
                   schema.ImplementationShock, schema.CostLine, schema.RepaymentRuleConfig]


@pytest.mark.parametrize("cls", schema_classes(), ids=lambda c: c.__name__)
def test_the_schema_holds_no_default_values(cls):
    """A field is MISSING (its value is in conf/) or a nested record whose fields are MISSING."""
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:
            assert dataclasses.is_dataclass(f.default_factory), f"{cls.__name__}.{f.name}"
        else:
            assert f.default == MISSING, f"{cls.__name__}.{f.name} = {f.default!r}: put the value in conf/"


def test_range_metadata_stays_in_the_schema():
    meta = {f.name: f.metadata for f in dataclasses.fields(schema.EconomyConfig)}
    assert (meta["discount_rate"]["lo"], meta["discount_rate"]["hi"], meta["discount_rate"]["hi_open"]) == \
        (0.0, 1.0, True)
    assert {f.name: f.metadata for f in dataclasses.fields(schema.RepaymentRuleConfig)}["trigger"]["choices"] == \
        vocabulary.TRIGGERS


def test_load_default_config_is_the_clis_config():
    assert load_default_config(["charts=false", "progress=false", "workers=1"]) == make_config()
    assert load_default_config().workers is None          # conf/config.yaml: null = one per core


def test_preset_rule_and_intervention_loaders():
    rule = preset_rule("sodertalje_2015")
    assert isinstance(rule, schema.RepaymentRuleConfig)
    assert (rule.trigger, rule.instalments, rule.first_year_offset, rule.last_year_offset) == \
        ("fixed_year", 5, 5, 9)
    assert rule.share_of_basis == 1.0 and rule.waive_if_failed is False     # from conf/base/repayment_rule.yaml
    assert preset_rule("malmo_2012", ["share_of_basis=0.5"]).share_of_basis == 0.5
    none = intervention("none")
    assert none.participants_households == 0 and none.naive_claim.avoided_placements_claimed_per_child == 10 / 55


def test_cash_share_default_includes_the_fund_grant():
    """The old dataclass default lacked fund_grant; the YAML, now the only default, has it."""
    assert load_default_config().economy.cash_share_by_category["fund_grant"] == 1.0


# --- vocabularies -------------------------------------------------------------------------------

def test_schema_re_exports_the_vocabularies():
    for name in ("COMPOSITIONS", "EXIT_ROUTES", "UNITS", "BODIES", "RISK_FACTORS", "PROTECTIVE_FACTORS",
                 "ADULT_OUTCOMES", "TRIGGERS", "AMOUNT_BASES", "RISK_BEARERS", "EVALUATION_METHODS",
                 "LANGUAGES", "STUDIES"):
        assert getattr(schema, name) is getattr(vocabulary, name)
        assert all(isinstance(x, str) for x in getattr(vocabulary, name))


def test_the_agents_copies_still_match_the_vocabulary():
    """Until agents/ imports scenarios.vocabulary, its copies must not drift (order included)."""
    from agents import children
    assert children.RISK_FACTORS == vocabulary.RISK_FACTORS
    assert children.PROTECTIVE_FACTORS == vocabulary.PROTECTIVE_FACTORS
    assert children.ADULT_OUTCOMES == vocabulary.ADULT_OUTCOMES


def test_default_population_names_match_the_vocabulary():
    pop = load_default_config().population
    assert tuple(pop.risk_factor_prevalence_at_entry) == vocabulary.RISK_FACTORS
    assert tuple(pop.protective_factor_prevalence_at_entry) == vocabulary.PROTECTIVE_FACTORS
    assert tuple(pop.adult_outcome_base_probability) == vocabulary.ADULT_OUTCOMES
    assert tuple(pop.composition_shares) == vocabulary.COMPOSITIONS
    assert tuple(pop.exit_route_shares) == vocabulary.EXIT_ROUTES
