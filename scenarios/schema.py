"""Typed configuration schema for sifsim: types, units in the names, ranges — no values.

Every Hydra config group (``conf/<group>/*.yaml``) is validated against one of
these dataclasses, registered in Hydra's ConfigStore by
:func:`scenarios.registry.register_configs`.  Names carry their unit
(``..._sek_per_day``, ``..._per_month``); a range a value must lie in is
declared once, in the field's metadata, and checked by
:func:`scenarios.validation.collect_problems` before any simulation starts.

Default *values* live in one place only, the YAML in ``conf/``, each with its meaning, unit,
source and confidence (:mod:`scenarios.provenance`). A field here is ``MISSING``; a nested
record (``caseload``, ``naive_claim``…) is an instance whose fields are ``MISSING``. Defaults
shared by every option of a group live in ``conf/base/``: ``intervention.yaml`` and
``repayment_rule.yaml`` (pulled in by each option's defaults list) and ``municipality.yaml``
(pulled in by ``conf/config.yaml``). A key no conf file sets is an error when the config is built.

The dataclasses are mutable because OmegaConf merges into them; the model
receives them through ``OmegaConf.to_object`` and never writes to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING

# --- allowed values: declared once in scenarios.vocabulary, re-exported here -----------

from scenarios.vocabulary import (  # noqa: F401  (re-exported: agents and simulation import some from here)
    ADULT_OUTCOMES, AMOUNT_BASES, BODIES, BUDGET_RULES, COMPOSITIONS, EB_AMOUNT_MODES, EVALUATION_METHODS, EXIT_ROUTES,
    LANGUAGES, PROTECTIVE_FACTORS, RISK_BEARERS, RISK_FACTORS, STUDIES, TRIGGERS, UNITS,
)


def rng(lo: float | None = None, hi: float | None = None, *, hi_open: bool = False,
        choices: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Metadata for a field's allowed range (``lo <= x <= hi``; ``< hi`` if hi_open)."""
    return {"lo": lo, "hi": hi, "hi_open": hi_open, "choices": choices}


def f(**meta: Any) -> Any:
    """A field without a value: its default lives in ``conf/`` (the one source); range metadata here.

    ``MISSING`` (OmegaConf's ``???``) makes a key that no conf file sets an error at compose time,
    instead of a silent second default. Build a whole config with
    :func:`scenarios.defaults.load_default_config` (or a group with its loaders), not with
    ``SifsimConfig()``.
    """
    return field(default=MISSING, metadata=rng(**meta))


PROB = {"lo": 0.0, "hi": 1.0}
NONNEG = {"lo": 0.0}


# --- population ---------------------------------------------------------------------

@dataclass
class InflowShock:
    """A dated relative change of the monthly inflow rate, common to both arms (e.g. 2015–16)."""

    first_year: int = f(lo=1990, hi=2200)
    last_year: int = f(lo=1990, hi=2200)
    relative_change: float = f(lo=-1.0, hi=10.0)


@dataclass
class PopulationConfig:
    """Households on social assistance (EB) in the simulated area, and their children."""

    name: str = f()
    households: int = f(lo=1)
    eb_exit_hazard_per_month: float = f(**PROB)
    eb_duration_decay: float = f(**NONNEG)
    eb_exit_hazard_floor_per_month: float = f(**PROB)
    eb_exit_hazard_floor_multiplier_by_composition: dict[str, float] = f()
    exit_propensity_sd: float = f(**NONNEG)
    exit_hazard_multiplier_by_composition: dict[str, float] = f()
    composition_shares: dict[str, float] = f()
    exit_route_shares: dict[str, float] = f()
    reentry_within_12_months_by_route: dict[str, float] = f()
    reentry_hazard_multiplier_after_24_months: float = f(**PROB)
    reentry_window_months: int = f(lo=0)
    reentry_duration_memory: float = f(**PROB)
    retire_after_months_off_eb: Optional[int] = f(lo=0)
    inflow_households_per_month: Optional[float] = f(lo=0.0)
    inflow_trend_per_year: float = f(lo=-0.5, hi=1.0)
    inflow_shocks: list[InflowShock] = f()
    caseload_elasticity: float = f(**NONNEG)
    reentry_enabled: bool = f()
    inflow_enabled: bool = f()
    max_initial_months_on_eb: int = f(lo=1)
    children_per_family_mean: float = f(lo=1.0)
    child_age_max_years_at_entry: int = f(lo=0, hi=17)
    # children
    risk_factor_prevalence_at_entry: dict[str, float] = f()
    risk_onset_per_month: float = f(**PROB)
    risk_remission_per_month: float = f(**PROB)
    protective_factor_prevalence_at_entry: dict[str, float] = f()
    protective_loss_per_month: float = f(**PROB)
    protective_onset_log_multiplier: float = f(**NONNEG)
    placement_hazard_per_year: float = f(**PROB)
    placement_risk_log_multiplier: float = f(**NONNEG)
    placement_protection_log_multiplier: float = f(**NONNEG)
    replacement_within_2_years: float = f(**PROB)
    hvb_share_of_placements: float = f(**PROB)
    hvb_mean_days: float = f(lo=1.0)
    family_home_mean_days: float = f(lo=1.0)
    open_care_need_per_year: float = f(**PROB)
    open_care_risk_log_multiplier: float = f(**NONNEG)
    adult_outcome_base_probability: dict[str, float] = f()
    adult_outcome_risk_multiplier_max: float = f(lo=1.0)
    adult_outcome_remission_per_year: float = f(**PROB)
    # life course (issue 11 item 5); each range is [first, last] in whole years, both included
    adult_age_years_at_entry_by_composition: dict[str, list[int]] = f()
    pension_age_years: int = f(lo=19, hi=100)
    child_leave_home_age_years: list[int] = f()
    adult_outcome_onset_age_years: list[int] = f()
    adult_outcome_conduct_history_age_years: list[int] = f()


# --- economy ------------------------------------------------------------------------

@dataclass
class AdultOutcomeCost:
    """Yearly cost of one adult in an outcome, and who pays it (shares sum to 1)."""

    sek_per_person_year: float = f(**NONNEG)
    municipality_share: float = f(**PROB)
    region_share: float = f(**PROB)
    state_share: float = f(**PROB)


@dataclass
class FiscalConfig:
    """Taxes, contributions and transfers of a household that left EB for work (accounting/fiscal.py)."""

    wage_sek_per_month: float = f(**NONNEG)
    work_income_months_after_exit: Optional[int] = f(lo=0)
    employer_contribution_rate: float = f(**PROB)
    basic_deduction_sek_per_year: float = f(**NONNEG)
    municipal_tax_rate: float = f(**PROB)
    municipal_retained_share_of_tax: float = f(**PROB)
    regional_tax_rate: float = f(**PROB)
    regional_retained_share_of_tax: float = f(**PROB)
    state_income_tax_rate: float = f(**PROB)
    state_income_tax_threshold_sek_per_year: float = f(**NONNEG)
    earned_income_tax_credit_sek_per_year: float = f(**NONNEG)
    housing_allowance_sek_per_household_month: float = f(**NONNEG)


@dataclass
class EconomyConfig:
    """Prices, payer splits, discounting and how much of a saving is cash."""

    price_base_year: int = f(lo=1990, hi=2100)
    discount_rate: float = f(lo=0.0, hi=1.0, hi_open=True)
    eb_amount_mode: str = f(choices=EB_AMOUNT_MODES)
    eb_flat_sek_per_household_month: float = f(**NONNEG)
    riksnorm_personal_sek_per_month: dict[str, float] = f()
    riksnorm_child_sek_per_month: float = f(**NONNEG)
    riksnorm_shared_sek_per_month_by_size: list[float] = f()
    rent_sek_per_month: float = f(**NONNEG)
    eb_share_of_norm_paid: float = f(**PROB)
    state_benefit_sek_per_household_month: float = f(**NONNEG)
    other_benefit_months: int = f(lo=0)
    adult_on_eb_sek_per_month: float = f(**NONNEG)
    fiscal: FiscalConfig = field(default_factory=FiscalConfig)
    student_aid_sek_per_household_month: float = f(**NONNEG)
    hvb_sek_per_day: float = f(**NONNEG)
    family_home_sek_per_day: float = f(**NONNEG)
    therapist_sek_per_hour: float = f(**NONNEG)
    ordinary_treatment_months: int = f(lo=1)
    ordinary_treatment_hours_per_month: float = f(**NONNEG)
    therapists_per_family: int = f(lo=1)
    conduct_problems_sek_per_child_year: float = f(**NONNEG)
    conduct_problems_municipality_share: float = f(**PROB)
    adult_outcomes: dict[str, AdultOutcomeCost] = f()
    cash_share_by_category: dict[str, float] = f()


# --- municipality -------------------------------------------------------------------

@dataclass
class UnitConfig:
    """A municipal unit: its yearly frame, posts and caseload.

    Its name is data: the municipality lists its units (``jobbcenter`` beside the ones the model
    books by name, :data:`scenarios.vocabulary.UNITS`); :mod:`scenarios.validation` checks that
    every name another key uses (a cost line, a reorganisation) is one of them."""

    name: str = f()
    committee: str = f()
    budget_frame_sek_per_year: float = f(**NONNEG)
    posts: float = f(**NONNEG)
    sek_per_post_year: float = f(**NONNEG)
    caseload_households_per_worker: float = f(lo=1.0)
    #: the unit's own budgeting rule (INTERFACE.md: ``municipality.units[*].budget_rule``): incremental,
    #: plan, or null = the municipality's ``municipality.budget.rule`` (checked in scenarios/validation.py)
    budget_rule: Optional[str] = f()


@dataclass
class Reorganisation:
    """At (year, month) a unit's budget responsibility moves to another body."""

    unit: str = f()            # one of the municipality's units
    to_body: str = f()
    year: int = f(lo=1990, hi=2200)
    month: int = f(lo=1, hi=12)
    successor_of_borrower: bool = f()


@dataclass
class BudgetConfig:
    """How each unit's yearly budget frame is set ex ante (issue 12)."""

    rule: str = f(choices=BUDGET_RULES)
    growth_per_year: float = f(lo=-0.5, hi=0.5)
    plan_frame_sek_by_unit_year: dict[str, dict[str, float]] = f()


@dataclass
class CommitteeConfig:
    """A committee (nämnd): it holds its units' budgets and may borrow from the fund."""

    name: str = f()
    label: str = f()


@dataclass
class MunicipalityConfig:
    name: str = f()
    label: str = f()
    fund_capital_sek: float = f(**NONNEG)
    committees: list[CommitteeConfig] = f()
    units: list[UnitConfig] = f()
    reorganisations: list[Reorganisation] = f()
    budget: BudgetConfig = field(default_factory=BudgetConfig)


# --- intervention -------------------------------------------------------------------

@dataclass
class CaseloadMechanism:
    """Lower caseload per social worker raises the EB exit hazard of participants."""

    enabled: bool = f()
    participant_households_per_worker: float = f(lo=1.0)
    exit_hazard_elasticity_to_caseload: float = f(**NONNEG)


@dataclass
class FamilyTreatmentMechanism:
    """Intensive family treatment: shorter, fewer hours, lower placement hazard."""

    enabled: bool = f()
    intensive_months: int = f(lo=1)
    intensive_hours_by_month: list[float] = f(**NONNEG)
    placement_hazard_multiplier: float = f(**NONNEG)
    risk_remission_multiplier: float = f(**NONNEG)


@dataclass
class ProtectiveMechanism:
    """Give participating children a protective factor, up to a capacity."""

    enabled: bool = f()
    factor: str = f(choices=PROTECTIVE_FACTORS)
    capacity_children: int = f(lo=0)
    child_age_min_years: int = f(lo=0, hi=18)
    child_age_max_years: int = f(lo=0, hi=18)
    dropout_per_month: float = f(**PROB)
    risk_onset_multiplier: float = f(**NONNEG)


#: mechanisms that can become ordinary practice (their hook reaches the control arm too)
ORDINARY_PRACTICE_MECHANISMS = ("caseload",)


@dataclass
class OrdinaryPractice:
    """The policy path: from a date the method reaches an eligible group in *both* arms (README "The model")."""

    enabled: bool = f()
    start_year: int = f(lo=1990, hi=2200)
    start_month: int = f(lo=1, hi=12)
    eligible_min_months_on_eb: int = f(lo=0)
    mechanisms: list[str] = f(choices=ORDINARY_PRACTICE_MECHANISMS)


@dataclass
class ImplementationShock:
    """Staff turnover or a reorganisation that cuts the effect for a while."""

    year: int = f(lo=1990, hi=2200)
    month: int = f(lo=1, hi=12)
    duration_months: int = f(lo=0)
    effect_multiplier: float = f(**NONNEG)


#: who pays an intervention's cost line: the fund (its grant) or the state (a state grant)
COST_LINE_PAYERS = ("fund", "state")


@dataclass
class CostLine:
    """One post (or cost line) of an intervention: the unit that spends it and who pays for it.

    ``payer: fund``: a share ``weight / Σ fund lines' weights`` of the fund's grant
    (``cost_sek_by_year``). Another payer (``state``: e.g. a state grant such as Urban
    utveckling): a post the fund did not pay, costing ``weight / Σ fund lines' weights`` times
    the fund's grant each year (the same SEK and yearly profile), booked in the ledger as that
    payer's grant (issue 11 item 2).
    """

    unit: str = f()            # one of the municipality's units
    label: str = f()
    weight_sek: float = f(**NONNEG)   # this line's cost in the source, in the same SEK as the others
    payer: str = f(choices=COST_LINE_PAYERS)


@dataclass
class NaiveClaim:
    """What an evaluator without a control group counts (README "The model", seed 004)."""

    eb_months_claimed_per_exit: float = f(**NONNEG)
    avoided_placements_claimed_per_child: float = f(**NONNEG)
    avoided_placement_days_claimed: float = f(**NONNEG)
    count_exits_to_other_benefit: bool = f()


@dataclass
class InterventionConfig:
    name: str = f()
    label: str = f()
    borrower: str = f()
    start_year: int = f(lo=1990, hi=2200)
    start_month: int = f(lo=1, hi=12)
    end_year: int = f(lo=1990, hi=2200)
    end_month: int = f(lo=1, hi=12)
    delay_months: int = f(lo=0)
    effect_scale: float = f(**NONNEG)
    participants_households: int = f(lo=0)
    eligible_compositions: list[str] = f()
    eligible_min_months_on_eb: int = f(lo=0)
    enrol_during_project: bool = f()
    cost_sek_by_year: dict[str, float] = f()
    cost_lines: list[CostLine] = f()
    ramp_up_months: int = f(lo=0)
    effect_decay_months_after_end: float = f(**NONNEG)
    caseload: CaseloadMechanism = field(default_factory=CaseloadMechanism)
    family_treatment: FamilyTreatmentMechanism = field(default_factory=FamilyTreatmentMechanism)
    protective: dict[str, ProtectiveMechanism] = f()
    implementation_shocks: list[ImplementationShock] = f()
    ordinary_practice: OrdinaryPractice = field(default_factory=OrdinaryPractice)
    naive_claim: NaiveClaim = field(default_factory=NaiveClaim)


# --- repayment ----------------------------------------------------------------------

@dataclass
class RepaymentRuleConfig:
    """One parameterised repayment rule (README "The model"); presets are configs of it.

    Year offsets count from the start year (the year of the first disbursement).
    """

    label: str = f()
    trigger: str = f(choices=TRIGGERS)
    trigger_year_offset: int = f(lo=0)
    threshold_sek: float = f(**NONNEG)
    amount_basis: str = f(choices=AMOUNT_BASES)
    share_of_basis: float = f(**PROB)
    instalments: int = f(lo=1)
    first_year_offset: int = f(lo=0)
    last_year_offset: Optional[int] = f(lo=0)
    cap_share_of_grant: float = f(**NONNEG)
    exempt_effects_after_years: Optional[int] = f(lo=0)
    waive_if_failed: bool = f()
    waive_if_responsibility_moved: bool = f()
    waiver_review_year_offset: Optional[int] = f(lo=0)
    failed_below_share_of_grant: float = f(**NONNEG)
    risk_bearer: str = f(choices=RISK_BEARERS)
    final_frame_adjustment: bool = f()
    cut_where_saving_lands: bool = f()


@dataclass
class RepaymentConfig:
    rules: dict[str, RepaymentRuleConfig] = f()


# --- root ---------------------------------------------------------------------------

@dataclass
class SifsimConfig:
    seed: int = f(lo=0)
    replications: int = f(lo=1)
    horizon_years: int = f(lo=1, hi=80)
    evaluation: str = f(choices=EVALUATION_METHODS)
    language: str = f(choices=LANGUAGES)
    scenario: str = f()
    charts: bool = f()
    sweep_charts: bool = f()
    progress: bool = f()
    workers: Optional[int] = f(lo=1)
    municipality: MunicipalityConfig = field(default_factory=MunicipalityConfig)
    intervention: InterventionConfig = field(default_factory=InterventionConfig)
    repayment: RepaymentConfig = field(default_factory=RepaymentConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    economy: EconomyConfig = field(default_factory=EconomyConfig)
    portfolio: dict[str, InterventionConfig] = f()
    study: str = f(choices=STUDIES)
