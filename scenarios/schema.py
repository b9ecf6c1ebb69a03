"""Typed configuration schema for sifsim.

Every Hydra config group (``conf/<group>/*.yaml``) is validated against one of
these dataclasses, registered in Hydra's ConfigStore by
:func:`scenarios.registry.register_configs`.  Names carry their unit
(``..._sek_per_day``, ``..._per_month``); a range a value must lie in is
declared once, in the field's metadata, and checked by
:func:`scenarios.validation.collect_problems` before any simulation starts.

The dataclasses are mutable because OmegaConf merges into them; the model
receives them through ``OmegaConf.to_object`` and never writes to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# --- allowed values, declared once -------------------------------------------------

COMPOSITIONS = ("single_adult", "single_parent", "couple_with_children", "couple_without_children")
EXIT_ROUTES = ("work", "studies", "other_benefit", "moved", "stopped_applying")
UNITS = ("eb_unit", "open_care", "child_authority", "school", "leisure", "adult_services")
BODIES = UNITS + ("ks", "region", "state")
EVALUATION_METHODS = ("attributable", "naive", "deadweight_adjusted")
LANGUAGES = ("sv", "en")
TRIGGERS = ("none", "after_project", "fixed_year", "threshold")
AMOUNT_BASES = ("none", "fixed_instalment", "measured_saving", "cash_saving")
RISK_BEARERS = ("committee", "ks")
EB_AMOUNT_MODES = ("flat", "norm")
STUDIES = ("none", "replicate_oster_report")


def rng(lo: float | None = None, hi: float | None = None, *, hi_open: bool = False,
        choices: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Metadata for a field's allowed range (``lo <= x <= hi``; ``< hi`` if hi_open)."""
    return {"lo": lo, "hi": hi, "hi_open": hi_open, "choices": choices}


def f(default: Any, **meta: Any) -> Any:
    """A dataclass field with a default and range metadata."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=rng(**meta))
    return field(default=default, metadata=rng(**meta))


PROB = {"lo": 0.0, "hi": 1.0}
NONNEG = {"lo": 0.0}


# --- population ---------------------------------------------------------------------

@dataclass
class PopulationConfig:
    """Households on social assistance (EB) in the simulated area, and their children."""

    name: str = "malmo_oster"
    households: int = f(200, lo=1)
    eb_exit_hazard_per_month: float = f(0.25, **PROB)
    eb_duration_decay: float = f(0.05, **NONNEG)
    eb_exit_hazard_floor_per_month: float = f(0.008, **PROB)
    exit_propensity_sd: float = f(0.6, **NONNEG)
    exit_hazard_multiplier_by_composition: dict[str, float] = f(
        {"single_adult": 1.0, "single_parent": 0.8, "couple_with_children": 0.9,
         "couple_without_children": 1.0})
    composition_shares: dict[str, float] = f(
        {"single_adult": 0.57, "single_parent": 0.22, "couple_with_children": 0.13,
         "couple_without_children": 0.08})
    exit_route_shares: dict[str, float] = f(
        {"work": 21 / 41, "studies": 6 / 41, "other_benefit": 3 / 41, "moved": 1 / 41,
         "stopped_applying": 10 / 41})
    reentry_within_12_months_by_route: dict[str, float] = f(
        {"work": 0.2, "studies": 0.2, "other_benefit": 0.1, "moved": 0.0, "stopped_applying": 0.5})
    reentry_hazard_multiplier_after_24_months: float = f(0.2, **PROB)
    reentry_window_months: int = f(60, lo=0)
    retire_after_months_off_eb: Optional[int] = f(60, lo=0)
    inflow_households_per_month: Optional[float] = f(None, lo=0.0)
    inflow_trend_per_year: float = f(0.0, lo=-0.5, hi=1.0)
    caseload_elasticity: float = f(0.0, **NONNEG)
    reentry_enabled: bool = True
    inflow_enabled: bool = True
    max_initial_months_on_eb: int = f(240, lo=1)
    children_per_family_mean: float = f(1.9, lo=1.0)
    child_age_max_years_at_entry: int = f(17, lo=0, hi=17)
    # children
    risk_factor_prevalence_at_entry: dict[str, float] = f(
        {"conduct_problems": 0.12, "school_absence": 0.10, "family_conflict": 0.20,
         "weak_parenting": 0.20})
    risk_onset_per_month: float = f(0.004, **PROB)
    risk_remission_per_month: float = f(0.03, **PROB)
    protective_factor_prevalence_at_entry: dict[str, float] = f(
        {"organised_leisure": 0.25, "prosocial_context": 0.5, "school_engagement": 0.6,
         "parenting_support": 0.05})
    protective_loss_per_month: float = f(0.01, **PROB)
    protective_onset_log_multiplier: float = f(0.3, **NONNEG)
    placement_hazard_per_year: float = f(0.015, **PROB)
    placement_risk_log_multiplier: float = f(0.6, **NONNEG)
    placement_protection_log_multiplier: float = f(0.25, **NONNEG)
    replacement_within_2_years: float = f(0.30, **PROB)
    hvb_share_of_placements: float = f(0.5, **PROB)
    hvb_mean_days: float = f(120.0, lo=1.0)
    family_home_mean_days: float = f(540.0, lo=1.0)
    open_care_need_per_year: float = f(0.08, **PROB)
    open_care_risk_log_multiplier: float = f(0.4, **NONNEG)
    adult_outcome_base_probability: dict[str, float] = f(
        {"unemployed_on_eb": 0.10, "mental_illness": 0.04, "substance_abuse": 0.02})
    adult_outcome_risk_multiplier_max: float = f(6.0, lo=1.0)
    adult_outcome_remission_per_year: float = f(0.15, **PROB)


# --- economy ------------------------------------------------------------------------

@dataclass
class AdultOutcomeCost:
    """Yearly cost of one adult in an outcome, and who pays it (shares sum to 1)."""

    sek_per_person_year: float = f(100_000.0, **NONNEG)
    municipality_share: float = f(0.9, **PROB)
    region_share: float = f(0.05, **PROB)
    state_share: float = f(0.05, **PROB)


@dataclass
class EconomyConfig:
    """Prices, payer splits, discounting and how much of a saving is cash."""

    price_base_year: int = f(2017, lo=1990, hi=2100)
    discount_rate: float = f(0.035, lo=0.0, hi=1.0, hi_open=True)
    displacement: float = f(0.0, **PROB)
    eb_amount_mode: str = f("flat", choices=EB_AMOUNT_MODES)
    eb_flat_sek_per_household_month: float = f(9000.0, **NONNEG)
    riksnorm_personal_sek_per_month: dict[str, float] = f({"single": 2980.0, "couple": 5370.0})
    riksnorm_child_sek_per_month: float = f(3120.0, **NONNEG)
    riksnorm_shared_sek_per_month_by_size: list[float] = f([950.0, 1060.0, 1330.0, 1520.0])
    rent_sek_per_month: float = f(7000.0, **NONNEG)
    eb_share_of_norm_paid: float = f(0.75, **PROB)
    state_benefit_sek_per_household_month: float = f(9000.0, **NONNEG)
    student_aid_sek_per_household_month: float = f(3000.0, **NONNEG)
    hvb_sek_per_day: float = f(3500.0, **NONNEG)
    family_home_sek_per_day: float = f(1950.0, **NONNEG)
    therapist_sek_per_hour: float = f(295.0, **NONNEG)
    ordinary_treatment_months: int = f(36, lo=1)
    ordinary_treatment_hours_per_month: float = f(4.0, **NONNEG)
    therapists_per_family: int = f(2, lo=1)
    conduct_problems_sek_per_child_year: float = f(100_000.0, **NONNEG)
    conduct_problems_municipality_share: float = f(0.8, **PROB)
    adult_outcomes: dict[str, AdultOutcomeCost] = field(default_factory=lambda: {
        "unemployed_on_eb": AdultOutcomeCost(100_000.0, 0.90, 0.05, 0.05),
        "mental_illness": AdultOutcomeCost(350_000.0, 0.25, 0.35, 0.40),
        "substance_abuse": AdultOutcomeCost(620_000.0, 0.35, 0.25, 0.40),
    })
    cash_share_by_category: dict[str, float] = f(
        {"eb": 1.0, "eb_refill": 1.0, "other_benefit": 1.0, "open_care_hours": 0.0,
         "placement_hvb": 1.0, "placement_family_home": 1.0, "intervention_posts": 1.0,
         "conduct_problems": 0.0, "adult_unemployed_on_eb": 0.0, "adult_mental_illness": 0.0,
         "adult_substance_abuse": 0.0})


# --- municipality -------------------------------------------------------------------

@dataclass
class UnitConfig:
    """A municipal unit: its yearly frame, posts and caseload."""

    name: str = f("eb_unit", choices=UNITS)
    committee: str = "social_services"
    budget_frame_sek_per_year: float = f(0.0, **NONNEG)
    posts: float = f(1.0, **NONNEG)
    sek_per_post_year: float = f(600_000.0, **NONNEG)
    caseload_households_per_worker: float = f(35.0, lo=1.0)


@dataclass
class Reorganisation:
    """At (year, month) a unit's budget responsibility moves to another body."""

    unit: str = f("eb_unit", choices=UNITS)
    to_body: str = "ks"
    year: int = f(2013, lo=1990, hi=2200)
    month: int = f(1, lo=1, hi=12)


@dataclass
class MunicipalityConfig:
    name: str = "malmo"
    label: str = "Malmö"
    fund_capital_sek: float = f(100_000_000.0, **NONNEG)
    units: list[UnitConfig] = field(default_factory=lambda: [
        UnitConfig("eb_unit", "social_services", 0.0, 20, 600_000.0, 35.0),
        UnitConfig("open_care", "social_services", 0.0, 10, 650_000.0, 12.0),
        UnitConfig("child_authority", "social_services", 0.0, 10, 650_000.0, 20.0),
        UnitConfig("school", "education", 0.0, 30, 600_000.0, 25.0),
        UnitConfig("leisure", "social_services", 0.0, 5, 450_000.0, 50.0),
        UnitConfig("adult_services", "social_services", 0.0, 20, 600_000.0, 30.0),
    ])
    reorganisations: list[Reorganisation] = field(default_factory=list)


# --- intervention -------------------------------------------------------------------

@dataclass
class CaseloadMechanism:
    """Lower caseload per social worker raises the EB exit hazard of participants."""

    enabled: bool = False
    participant_households_per_worker: float = f(10.0, lo=1.0)
    exit_hazard_elasticity_to_caseload: float = f(0.8, **NONNEG)


@dataclass
class FamilyTreatmentMechanism:
    """Intensive family treatment: shorter, fewer hours, lower placement hazard."""

    enabled: bool = False
    intensive_months: int = f(10, lo=1)
    intensive_hours_by_month: list[float] = f([8.0] * 7 + [2.0] * 3, **NONNEG)
    placement_hazard_multiplier: float = f(0.6, **NONNEG)
    risk_remission_multiplier: float = f(2.0, **NONNEG)


@dataclass
class ProtectiveMechanism:
    """Give participating children a protective factor, up to a capacity."""

    enabled: bool = False
    factor: str = f("organised_leisure", choices=(
        "organised_leisure", "prosocial_context", "school_engagement", "parenting_support"))
    capacity_children: int = f(24, lo=0)
    child_age_min_years: int = f(6, lo=0, hi=18)
    child_age_max_years: int = f(15, lo=0, hi=18)
    dropout_per_month: float = f(0.01, **PROB)
    risk_onset_multiplier: float = f(0.6, **NONNEG)


@dataclass
class ImplementationShock:
    """Staff turnover or a reorganisation that cuts the effect for a while."""

    year: int = f(2015, lo=1990, hi=2200)
    month: int = f(1, lo=1, hi=12)
    duration_months: int = f(6, lo=0)
    effect_multiplier: float = f(0.5, **NONNEG)


@dataclass
class CostLine:
    """One funded post (or cost line) of an intervention: the unit that spends it."""

    unit: str = f("eb_unit", choices=UNITS)
    label: str = ""
    weight_sek: float = f(1.0, **NONNEG)   # this line's cost in the source; shares are weight / total


@dataclass
class NaiveClaim:
    """What an evaluator without a control group counts (DESIGN §3, seed 004)."""

    eb_months_claimed_per_exit: float = f(12.0, **NONNEG)
    avoided_placements_claimed_per_child: float = f(10 / 55, **NONNEG)
    avoided_placement_days_claimed: float = f(120.0, **NONNEG)
    count_exits_to_other_benefit: bool = True


@dataclass
class InterventionConfig:
    name: str = "none"
    label: str = "No intervention"
    borrower: str = "social_services"
    start_year: int = f(2014, lo=1990, hi=2200)
    start_month: int = f(1, lo=1, hi=12)
    end_year: int = f(2017, lo=1990, hi=2200)
    end_month: int = f(12, lo=1, hi=12)
    delay_months: int = f(0, lo=0)
    effect_scale: float = f(1.0, **NONNEG)
    participants_households: int = f(0, lo=0)
    eligible_compositions: list[str] = f(["single_parent", "couple_with_children"])
    eligible_min_months_on_eb: int = f(0, lo=0)
    enrol_during_project: bool = True
    cost_sek_by_year: dict[str, float] = f({})
    cost_lines: list[CostLine] = field(default_factory=list)
    ramp_up_months: int = f(12, lo=0)
    effect_decay_months_after_end: float = f(24.0, **NONNEG)
    caseload: CaseloadMechanism = field(default_factory=CaseloadMechanism)
    family_treatment: FamilyTreatmentMechanism = field(default_factory=FamilyTreatmentMechanism)
    protective: dict[str, ProtectiveMechanism] = field(default_factory=dict)
    implementation_shocks: list[ImplementationShock] = field(default_factory=list)
    naive_claim: NaiveClaim = field(default_factory=NaiveClaim)


# --- repayment ----------------------------------------------------------------------

@dataclass
class RepaymentRuleConfig:
    """One parameterised repayment rule (DESIGN §3); presets are configs of it.

    Year offsets count from the start year (the year of the first disbursement).
    """

    label: str = ""
    trigger: str = f("none", choices=TRIGGERS)
    trigger_year_offset: int = f(0, lo=0)
    threshold_sek: float = f(0.0, **NONNEG)
    amount_basis: str = f("none", choices=AMOUNT_BASES)
    share_of_basis: float = f(1.0, **PROB)
    instalments: int = f(5, lo=1)
    first_year_offset: int = f(0, lo=0)
    last_year_offset: Optional[int] = f(None, lo=0)
    cap_share_of_grant: float = f(1.0, **NONNEG)
    exempt_effects_after_years: Optional[int] = f(None, lo=0)
    waive_if_failed: bool = False
    waive_if_responsibility_moved: bool = False
    waiver_review_year_offset: Optional[int] = f(None, lo=0)
    failed_below_share_of_grant: float = f(0.5, **NONNEG)
    risk_bearer: str = f("committee", choices=RISK_BEARERS)


@dataclass
class RepaymentConfig:
    rules: dict[str, RepaymentRuleConfig] = field(default_factory=dict)


# --- root ---------------------------------------------------------------------------

@dataclass
class SifsimConfig:
    seed: int = f(20140101, lo=0)
    replications: int = f(100, lo=1)
    horizon_years: int = f(25, lo=1, hi=80)
    evaluation: str = f("attributable", choices=EVALUATION_METHODS)
    language: str = f("sv", choices=LANGUAGES)
    scenario: str = "default"
    charts: bool = True
    sweep_charts: bool = True      # after a sweep: heatmap, tornado and report of the whole sweep
    progress: bool = True
    # worker processes for replications: null = one per core, 1 = serial; same tables either way
    workers: Optional[int] = f(1, lo=1)
    municipality: MunicipalityConfig = field(default_factory=MunicipalityConfig)
    intervention: InterventionConfig = field(default_factory=InterventionConfig)
    repayment: RepaymentConfig = field(default_factory=RepaymentConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    economy: EconomyConfig = field(default_factory=EconomyConfig)
    # several grants from one fund (conf/experiment/malmo_fund.yaml): each is simulated as its own
    # paired case and the fund holds them all; empty = the single `intervention`
    portfolio: dict[str, InterventionConfig] = field(default_factory=dict)
    study: str = f("none", choices=STUDIES)
