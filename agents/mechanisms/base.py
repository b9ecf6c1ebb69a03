"""The protocol every mechanism of an intervention follows.

A mechanism is one way an intervention acts on the agents (README "The model":
caseload, family treatment, protective places...). The model calls each hook
once a month in schedule order, for every mechanism of the intervention; a
mechanism overrides the hooks it needs, and the defaults change nothing. All
changes apply to the intervention arm only (axis 0); the control arm is what
would have happened anyway.

``strength`` is the intervention's effect strength this month in [0, …]
(effect scale × ramp-up × implementation shocks × decay after the end).
"""

from __future__ import annotations

import numpy as np

INTERVENTION, CONTROL = 0, 1


class Mechanism:
    """One mechanism of an intervention; the hooks below do nothing unless overridden."""

    #: the config key under ``intervention`` (and the registry name)
    name: str = ""

    def __init__(self, intervention) -> None:
        self.intervention = intervention

    # --- EB -----------------------------------------------------------------------------
    def modify_exit_hazard(self, t: int, strength: float, hazard: np.ndarray, treated: np.ndarray) -> None:
        """Change the monthly EB exit hazard (arms, N) in place; ``treated``: participants on EB."""

    def exit_hazard_factors(self, t: int, strength: float) -> tuple[bool, np.ndarray] | None:
        """:meth:`modify_exit_hazard` as per-household factors a compiled loop can apply, or None when
        it cannot be put so (then the hook runs). ``(policy, factors)``: ``factors[k]`` (float64, 4)
        multiplies the hazard of a household by k = (reached by the policy path: on EB in the
        area, of an eligible composition, on EB at least the policy's months; only when ``policy``)
        + 2 × (a participant on EB, intervention arm), in place of the hook's ``np.multiply(...,
        where=)`` — the same products (``factors[0]`` is 1). A mechanism that leaves the hazard
        alone gives no factor."""
        if type(self).modify_exit_hazard is Mechanism.modify_exit_hazard:
            return False, np.ones(4)
        return None

    # --- enrolment ------------------------------------------------------------------------
    def on_households_enrolled(self, t: int, strength: float, arm: int, chosen: np.ndarray, draws) -> None:
        """Households ``chosen`` (an (R, N) mask) in ``arm`` have just been enrolled."""

    def enrol_children(self, t: int, strength: float, draws) -> None:
        """Give children places (after this month's household enrolment)."""

    # --- children -------------------------------------------------------------------------
    def modify_child_rates(self, strength: float, onset: np.ndarray, remission: np.ndarray,
                           intensive_child: np.ndarray) -> None:
        """Change the monthly onset and remission rates of risk factors (arms, children) in place."""

    def modify_placement_hazard(self, hazard: np.ndarray, intensive_child: np.ndarray,
                                participant_child: np.ndarray) -> None:
        """Change the monthly placement hazard (arms, children) in place."""

    def child_hook_factors(self, strength: float) -> dict | None:
        """:meth:`modify_child_rates` and :meth:`modify_placement_hazard` as factors a compiled loop
        applies per child (intervention arm), or None when they cannot be put so (then the month runs
        with numpy, ``ChildhoodProcess.step_numpy``, the hooks on its arrays). Keys, each optional:
        ``onset_where_held`` (protective factor index, float64 multiplier): onset × multiplier where
        the child holds that factor's place;
        ``remission_where_intensive`` (float64): remission × it in intensive treatment;
        ``placement_where_intensive_participant`` (float64): the placement hazard × it in intensive
        treatment and a participant's child — each the hook's ``np.multiply(..., where=)``, the same
        products. A mechanism that overrides neither hook gives none."""
        if type(self).modify_child_rates is Mechanism.modify_child_rates \
                and type(self).modify_placement_hazard is Mechanism.modify_placement_hazard:
            return {}
        return None

    # --- open care ------------------------------------------------------------------------
    def intensive_episodes(self, t: int, strength: float, start: np.ndarray, draws) -> np.ndarray | None:
        """Which starting open-care episodes (arms, N) are the intervention's intensive variant."""
        return None

    def intensive_hours_by_month(self) -> np.ndarray | None:
        """Therapist hours per month of an intensive episode, if this mechanism has one."""
        return None
