"""The mechanisms' rate hooks multiply in place where they apply, with numpy's float64 products.

They replaced ``rates[INTERVENTION] *= np.where(mask, multiplier, 1.0)`` (a float64 product cast
back to the rates' float32) by one in-place multiply; a float32 product would differ in the last
bit for some children, which whole-run tables would rarely show.
"""

from __future__ import annotations

import numpy as np

from agents.mechanisms.base import CONTROL, INTERVENTION
from agents.mechanisms.family_treatment import FamilyTreatment
from agents.mechanisms.protective import Protective
from simulation.core.model import SifsimModel
from tests.support import make_config


def _model():
    model = SifsimModel(make_config("replications=2", "horizon_years=3"), replications=[0, 1])
    for _ in range(14):                      # into the project: children hold protective places
        model.step()
    return model


def test_protective_and_family_treatment_hooks_are_the_float64_products_where_they_apply():
    model = _model()
    ch = model.children
    shape = ch.present.shape
    rng = np.random.default_rng(4)
    onset = rng.random(shape).astype(np.float32)
    remission = rng.random(shape).astype(np.float32)
    intensive = rng.random(shape) < 0.3
    hazard = rng.random(shape)
    participant = rng.random(shape) < 0.5
    mechanisms = model.intervention.mechanisms
    protective = [m for m in mechanisms if isinstance(m, Protective)]
    treatment = [m for m in mechanisms if isinstance(m, FamilyTreatment)]
    assert protective and treatment
    strength = 0.8
    for mechanism in protective:
        held = ch.assigned_protective[INTERVENTION] == mechanism.factor
        assert held.any()
        expected = onset.copy()
        expected[INTERVENTION] *= np.where(held, 1.0 + strength * (mechanism.params.risk_onset_multiplier - 1.0), 1.0)
        mechanism.modify_child_rates(strength, onset, remission, intensive)
        assert onset.dtype == np.float32 and np.array_equal(onset, expected)
    for mechanism in treatment:
        expected_remission = remission.copy()
        expected_remission[INTERVENTION] *= np.where(intensive[INTERVENTION],
                                                     mechanism.params.risk_remission_multiplier, 1.0)
        before = remission.copy()
        mechanism.modify_child_rates(strength, onset, remission, intensive)
        assert np.array_equal(remission, expected_remission)
        assert np.array_equal(remission[CONTROL], before[CONTROL])          # the control arm untouched
        expected_hazard = hazard.copy()
        expected_hazard[INTERVENTION] *= np.where(intensive[INTERVENTION] & participant[INTERVENTION],
                                                  mechanism.params.placement_hazard_multiplier, 1.0)
        mechanism.modify_placement_hazard(hazard, intensive, participant)
        assert np.array_equal(hazard, expected_hazard)
    # the multipliers do something here, so equality is not of unchanged arrays
    assert (remission != before).any() or all(m.params.risk_remission_multiplier == 1.0 for m in treatment)


def test_the_caseload_hook_is_the_reference_products_with_and_without_the_policy_path():
    from agents.mechanisms.caseload import Caseload
    model = _model()
    hh = model.households
    [caseload] = [m for m in model.intervention.mechanisms if isinstance(m, Caseload)]
    policy = caseload.intervention.ordinary_practice
    rng = np.random.default_rng(6)
    shape = hh.on_eb.shape
    treated = rng.random(shape[1:]) < 0.4
    for t, strength in ((policy.t_start - 1, 0.7), (policy.t_start + 3, 0.7), (policy.t_start + 3, 0.0),
                        (policy.t_start + 3, 1.3)):
        hazard = rng.random(shape) * 0.1
        expected = hazard.copy()
        if policy.reaches(t, caseload.name):       # the formula the hook had before it multiplied in place
            reached = np.where(policy.eligible(), policy.strength, 0.0)
            reached[INTERVENTION] = np.where(treated, np.maximum(reached[INTERVENTION], strength),
                                             reached[INTERVENTION])
            expected *= 1.0 + reached * (caseload.multiplier - 1.0)
            assert policy.eligible().any()
        elif strength > 0:
            expected[INTERVENTION] = np.where(treated, expected[INTERVENTION]
                                              * (1.0 + strength * (caseload.multiplier - 1.0)), expected[INTERVENTION])
        before = hazard.copy()
        caseload.modify_exit_hazard(t, strength, hazard, treated)
        assert np.array_equal(hazard, expected), (t, strength)
        assert (hazard != before).any(), (t, strength)               # the hook did change hazards here
