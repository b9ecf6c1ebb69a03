"""What a chart needs to know about its run (from config.yaml), and the names a reader sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from simulation.core.outcomes import OUTCOMES
from simulation.present import labels
from simulation.present.charts.style import NOTE_CHARS, wrap
from simulation.present.formatting import fmt_level, fmt_percent


def t(language: str, key: str, **kwargs: Any) -> str:
    """The chart label ``key`` (labels/<language>.yaml, ``charts:``), formatted."""
    return labels.text(language, f"charts.{key}", **kwargs)


def payer_name(payer: str, language: str) -> str:
    """A body that pays or saves (ledger ``payer``), by name; an unknown one as it is."""
    return labels.names(language, "payers").get(payer, payer)


def key_name(key: str, language: str) -> str:
    """A swept key's label; an unknown dotted key is shortened to its last part, readable."""
    known = labels.names(language, "keys").get(key)
    if known:
        return known
    last = key.rsplit(".", 1)[-1].replace("_", " ")
    return last if len(last) <= 32 else last[:31] + "…"


def metric_name(metric: str, language: str) -> str:
    outcome = OUTCOMES.get(metric)
    return getattr(outcome, language) if outcome else metric


def rule_title(name: str, rule_labels: Mapping[str, str] | None, language: str) -> str:
    """A rule's label if known, else its name made readable ("malmo_2012" -> "Malmo 2012")."""
    label = (rule_labels or {}).get(name) or name.replace("_", " ")
    return rule_label(label, language)


def rule_label(label: str, language: str) -> str:
    """A rule's config label; "Budgetmodell / budget model" holds both languages."""
    if " / " in label:
        sv, en = label.split(" / ", 1)
        label = sv if language == "sv" else en
    return label[:1].upper() + label[1:]


@dataclass(frozen=True)
class ChartContext:
    """The facts about a run that chart notes and labels need (from its config.yaml)."""

    language: str = "sv"
    replications: int | None = None
    price_year: int | None = None
    intervention: str = ""
    municipality: str = ""
    horizon_years: int | None = None
    start_year: int | None = None
    end_year: int | None = None
    budget_rule: str | None = None
    effect_scale: float | None = None
    discount_rate: float | None = None
    evaluation: str | None = None
    fund_capital_sek: float | None = None
    rule_labels: Mapping[str, str] = field(default_factory=dict)
    #: the rules that ask for nothing back (the budget model's grant): no repayment to chart
    rules_not_owed: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], language: str | None = None) -> "ChartContext":
        lang = language or config.get("language", "sv")
        economy = config.get("economy", {}) or {}
        itv = dict(config.get("intervention", {}) or {})
        portfolio = list((config.get("portfolio") or {}).values())
        if portfolio:  # a fund with several grants: name them all, span all their project years
            itv = {"label": t(lang, "portfolio", n=len(portfolio), first=min(p["start_year"] for p in portfolio),
                              last=max(p["end_year"] for p in portfolio)),
                   "start_year": min(p["start_year"] for p in portfolio),
                   "end_year": max(p["end_year"] for p in portfolio),
                   "effect_scale": portfolio[0].get("effect_scale")
                   if len({p.get("effect_scale") for p in portfolio}) == 1 else None}
        muni = config.get("municipality", {}) or {}
        rules = (config.get("repayment", {}) or {}).get("rules", {}) or {}
        return cls(
            language=lang,
            replications=config.get("replications"),
            price_year=economy.get("price_base_year"),
            intervention=itv.get("label", ""),
            municipality=muni.get("label", ""),
            horizon_years=config.get("horizon_years"),
            start_year=itv.get("start_year"),
            end_year=itv.get("end_year"),
            budget_rule=(muni.get("budget") or {}).get("rule"),
            effect_scale=itv.get("effect_scale"),
            discount_rate=economy.get("discount_rate"),
            evaluation=config.get("evaluation"),
            fund_capital_sek=muni.get("fund_capital_sek"),
            rule_labels={name: rule_label(rule.get("label") or name, lang) for name, rule in rules.items()},
            rules_not_owed=frozenset(name for name in rules if not rule_owes(config, name)),
        )

    def rule(self, name: str) -> str:
        return rule_title(name, self.rule_labels, self.language)

    def note(self, replications: int | None = None) -> str:
        lang = self.language
        n = replications if replications is not None else self.replications
        parts = {
            "intervention": self.intervention or "—",
            "n": n if n is not None else "?",
            "prices": t(lang, "prices", year=self.price_year) if self.price_year else "SEK",
            "budget": t(lang, f"budget_rule_{self.budget_rule}") if self.budget_rule else "—",
            "effect": fmt_level(self.effect_scale, lang) if self.effect_scale is not None else "—",
        }
        return wrap(t(lang, "note_run", **parts), NOTE_CHARS)


def rule_owes(config: Mapping[str, Any], rule: str) -> bool:
    """Whether a rule asks for any money back (the budget model does not: nothing is owed, so
    nothing can be written off)."""
    spec = ((config.get("repayment") or {}).get("rules") or {}).get(rule) or {}
    return spec.get("amount_basis", "") != "none" and spec.get("trigger", "") != "none"


def context_or_default(context: ChartContext | None, language: str, replications: int | None) -> ChartContext:
    if context is None:
        return ChartContext(language=language, replications=replications)
    if context.language != language:
        raise ValueError(f"context language {context.language!r} differs from language {language!r}")
    return context
