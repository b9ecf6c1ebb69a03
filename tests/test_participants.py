"""participants.csv (issue 11): households and children enrolled, participants' EB exits by route."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios.schema import EXIT_ROUTES
from simulation.core.model import ARM_NAMES, SifsimModel
from simulation.core.participants import PARTICIPANT_COLUMNS
from simulation.core.runner import run
from tests.support import make_config

ROUTES = [f"exits_{r}" for r in EXIT_ROUTES]


def test_the_table_has_a_row_per_replication_arm_and_year():
    results = run(make_config("replications=2", "horizon_years=5"))
    table = results.participants
    assert list(table.columns) == [*PARTICIPANT_COLUMNS, "grant"]
    assert len(table) == 2 * 2 * 5
    assert set(table["arm"]) == set(ARM_NAMES)
    assert (table[["households_enrolled", "children_enrolled", *ROUTES]] >= 0).all().all()
    first = table[table["year"] == 2014].set_index(["replication", "arm"])
    # the project's 28 places are filled in its first month, in both arms alike
    assert (first["households_enrolled"] >= 28).all()
    assert table.loc[table["year"] > 2017, "households_enrolled"].eq(0).all()   # no enrolment after the project


def test_enrolments_and_exits_by_route_add_up_to_the_participants_on_eb():
    """Without re-entry: participants on EB at a year's end = at its start + enrolled − exits (all routes)."""
    # no retirement: a participant who moved away (gone in both arms) is retired, and with it its flag
    cfg = make_config("replications=2", "horizon_years=6", "population.reentry_enabled=false",
                      "population.retire_after_months_off_eb=null")
    model = SifsimModel(cfg, replications=[0, 1])
    hh = model.households
    on_eb_participants = [np.count_nonzero(hh.participant & hh.on_eb, axis=-1)]   # (arms, R) per year end
    for t in range(model.n_months):
        model.step()
        if t % 12 == 11:
            on_eb_participants.append(np.count_nonzero(hh.participant & hh.on_eb, axis=-1))
    for r in range(2):
        rows = pd.DataFrame(model.replication_rows(r)["participants"], columns=PARTICIPANT_COLUMNS)
        for arm, name in enumerate(ARM_NAMES):
            arm_rows = rows[rows["arm"] == name].sort_values("year")
            exits = arm_rows[ROUTES].sum(axis=1).to_numpy()
            change = np.diff([level[arm, r] for level in on_eb_participants])
            np.testing.assert_array_equal(change, arm_rows["households_enrolled"].to_numpy() - exits)
            # every household ever enrolled is still flagged: in the arrays, or (moved away in both
            # arms, so retired) in the retired households' archived state
            retired = np.count_nonzero(hh.retired_state(r)["participant"][arm])
            assert arm_rows["households_enrolled"].sum() == np.count_nonzero(hh.participant[arm, r]) + retired
    assert rows[ROUTES].to_numpy().sum() > 0


def test_children_enrolled_are_the_minors_of_the_enrolled_households():
    cfg = make_config("replications=1", "horizon_years=1", "intervention.enrol_during_project=false")
    model = SifsimModel(cfg)
    model.step()                                   # month 0: the project's start, all places filled
    hh, ch = model.households, model.children
    rows = pd.DataFrame(model.replication_rows(0)["participants"], columns=PARTICIPANT_COLUMNS)
    for arm, name in enumerate(ARM_NAMES):
        kids = ch.of_households(hh.participant[arm:arm + 1])[0] & ch.present[arm] & ~ch.adult[arm]
        row = rows[(rows["arm"] == name) & (rows["year"] == 2014)].iloc[0]
        assert row["households_enrolled"] == np.count_nonzero(hh.participant[arm]) == 28
        assert row["children_enrolled"] == np.count_nonzero(kids) > 28
