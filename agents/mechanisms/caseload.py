"""Lower caseload per social worker → higher EB exit hazard (Hela familjen; README "The model")."""

from __future__ import annotations

import numpy as np

from agents.mechanisms.base import INTERVENTION, Mechanism
from scenarios.schema import CaseloadMechanism


class Caseload(Mechanism):
    """Participants' exit hazard × (1 + strength · (m − 1)), m = (unit caseload / project caseload)^elasticity.

    The unit's caseload is that of the EB unit's workers (municipality config);
    the project's is ``participant_households_per_worker``. Under a policy path
    (``intervention.ordinary_practice`` naming ``caseload``) the same multiplier reaches
    the eligible households of both arms from its date.
    """

    name = "caseload"

    def __init__(self, intervention, params: CaseloadMechanism, unit_households_per_worker: float):
        super().__init__(intervention)
        self.params = params
        self.multiplier = (unit_households_per_worker / params.participant_households_per_worker
                           ) ** params.exit_hazard_elasticity_to_caseload

    def exit_hazard_factors(self, t: int, strength: float) -> tuple[bool, np.ndarray]:
        """The hook below as factors by (reached by the policy, participant): the same products
        (Mechanism.exit_hazard_factors; tests/test_kernels.py compares the two on model states)."""
        step = self.multiplier - 1.0
        factors = np.ones(4)
        policy = self.intervention.ordinary_practice
        if policy.reaches(t, self.name):
            factors[1] = 1.0 + policy.strength * step                        # reached, not a participant
            factors[2] = 1.0 + max(0.0, strength) * step                     # a participant, not reached
            factors[3] = 1.0 + max(policy.strength, strength) * step         # both: the larger
            return True, factors
        if strength > 0 and self.multiplier != 1.0:
            factors[2] = factors[3] = 1.0 + strength * step
        return False, factors

    def modify_exit_hazard(self, t: int, strength: float, hazard: np.ndarray, treated: np.ndarray) -> None:
        policy = self.intervention.ordinary_practice
        if policy.reaches(t, self.name):
            # ordinary practice: eligible households of both arms at the policy's strength; a
            # participant gets the larger of the project's and the policy's (not both)
            # hazard × (1 + reached · (m − 1)), reached = the policy's strength where eligible, else 0,
            # and a participant's the larger of it and the project's: a handful of factors, each
            # multiplied in place where it applies (the same products; 1 + 0 · (m − 1) = 1 elsewhere)
            eligible = policy.eligible()
            step = self.multiplier - 1.0
            policy_factor = 1.0 + policy.strength * step
            for a in range(hazard.shape[0]):
                arm, reach = hazard[a], eligible[a]
                if a != INTERVENTION:
                    np.multiply(arm, policy_factor, out=arm, where=reach)
                    continue
                np.multiply(arm, policy_factor, out=arm, where=reach & ~treated)
                np.multiply(arm, 1.0 + max(policy.strength, strength) * step, out=arm, where=reach & treated)
                np.multiply(arm, 1.0 + max(0.0, strength) * step, out=arm, where=treated & ~reach)
            return
        if strength > 0 and self.multiplier != 1.0:
            # in place where treated: one pass (the same products as np.where(treated, h · m, h))
            arm = hazard[INTERVENTION]
            np.multiply(arm, 1.0 + strength * (self.multiplier - 1.0), out=arm, where=treated)
