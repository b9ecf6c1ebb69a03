"""The names sifsim knows, declared once.

Each vocabulary is a tuple of str: agents index arrays with these tuples and their order is
part of the model (the golden master depends on it), so append, never reorder. The schema
(:mod:`scenarios.schema`) uses them as ``choices`` in its range metadata and
:mod:`scenarios.validation` checks dictionary keys and lists against them.
"""

from __future__ import annotations

# --- households ---------------------------------------------------------------------
COMPOSITIONS = ("single_adult", "single_parent", "couple_with_children", "couple_without_children")
EXIT_ROUTES = ("work", "studies", "other_benefit", "moved", "stopped_applying")

# --- children and adults ------------------------------------------------------------
RISK_FACTORS = ("conduct_problems", "school_absence", "family_conflict", "weak_parenting")
PROTECTIVE_FACTORS = ("organised_leisure", "prosocial_context", "school_engagement", "parenting_support")
ADULT_OUTCOMES = ("unemployed_on_eb", "mental_illness", "substance_abuse")

# --- organisation -------------------------------------------------------------------
# the units the model books by name (EB, open care, placements, ...): every municipality has them.
# A municipality's units and committees are otherwise data (municipality.units, .committees):
# a "jobbcenter" unit or an "arbetsmarknadsnamnd" committee is one more entry there, not here.
UNITS = ("eb_unit", "open_care", "child_authority", "school", "leisure", "adult_services")
BODIES = UNITS + ("ks", "region", "state")

# --- run settings -------------------------------------------------------------------
EVALUATION_METHODS = ("attributable", "naive", "deadweight_adjusted")
LANGUAGES = ("sv", "en")
STUDIES = ("none", "replicate_oster_report")
EB_AMOUNT_MODES = ("flat", "norm")

# --- repayment rules ----------------------------------------------------------------
TRIGGERS = ("none", "after_project", "fixed_year", "threshold")
AMOUNT_BASES = ("none", "fixed_instalment", "measured_saving", "cash_saving", "cumulative_spending_reduction")
RISK_BEARERS = ("committee", "ks")
#: how a unit's yearly budget frame is set (simulation/accounting/budget.py)
BUDGET_RULES = ("incremental", "plan")

#: keys that were removed, with where their meaning went (a clear error, not "unknown key")
RETIRED_KEYS = {
    "economy.displacement": (
        "retired in issue 12: EB is a rights-based benefit and inflow is the same in both arms, so "
        "the project causes no extra claims; model rising inflow with population.inflow_shocks "
        "(dated relative changes, both arms) or population.inflow_trend_per_year, and the absorbed "
        "saving with municipality.budget.rule=incremental (see README changelog)"),
}

# --- provenance of a parameter (conf/ comments, scenarios.provenance) ----------------
# seed = the source documents; pub = published statistics or research; derived = arithmetic
# on those (or fitted to targets); reading = our interpretation of a rule's wording;
# assumption = a placeholder to be swept, not trusted; setting = a choice of the run or the
# study (not a claim about the world)
SOURCE_LABELS = ("seed", "pub", "derived", "reading", "assumption", "setting")
CONFIDENCE_LEVELS = ("L", "M", "H")

__all__ = [
    "COMPOSITIONS", "EXIT_ROUTES", "RISK_FACTORS", "PROTECTIVE_FACTORS", "ADULT_OUTCOMES", "UNITS",
    "BODIES", "EVALUATION_METHODS", "LANGUAGES", "STUDIES", "EB_AMOUNT_MODES", "TRIGGERS",
    "AMOUNT_BASES", "RISK_BEARERS", "SOURCE_LABELS", "CONFIDENCE_LEVELS",
]
