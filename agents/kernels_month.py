"""Compiled loops for the month's smaller passes (issue 15, 0.10.0), each beside its numpy reference.

``agents/kernels.py`` holds the month's large loops (the children's month, the EB exits); what is left
of a month after them is many small numpy passes and Python around them: the adult outcomes' two
passes, the children turning 18, the enrolments' choice by priority, the children leaving home. Each
loop here replaces a few of those passes with one, with the same arithmetic (comparisons, counts and
integer updates; every transcendental function stays numpy's, whose SIMD code a loop cannot match to
the bit), and is used only with ``kernels == "numba"``; the numpy lines it replaces stay where they
were, as the reference (``tests/test_kernels_month.py`` compares the two on model states).

The conventions are ``agents/kernels.py``'s: each loop compiled once by :func:`agents.kernels.compiled`
(numba, cached on disk), arrays passed whole (``kernels.whole``) with the window the loop covers.
"""

from __future__ import annotations

import math

import numpy as np

from agents.kernels import compiled, whole


def comparison_threshold(draws: np.ndarray, threshold) -> np.generic:
    """``threshold`` in the type numpy compares ``draws < threshold`` in: a Python float is weak (NEP 50),
    so against float32 draws it is rounded to float32 first; a numpy float64 is not. Passing a loop the
    rounded value makes its comparison numpy's, bit for bit."""
    return np.result_type(draws.dtype, threshold).type(threshold)


# --- the adults' outcomes: started this month, then remitted -------------------------------------

def _adult_outcomes_month_loop(width, month, onset_month, u_remission, remission, outcome):  # pragma: no cover
    # ChildPopulation.start_adult_outcomes then adult_remission over the window both cover: an outcome
    # dated to this month starts, then every outcome remits where its draw is under the rate (the same
    # draw in both arms); one pass instead of two, each slot the reference's
    # (outcome | onset == month) & ~(u < rate). A child's outcomes are the last axis, so the window's
    # slots are the first ``width`` = window × outcomes of each (arm, replication) row, flattened
    for a in range(outcome.shape[0]):
        for r in range(outcome.shape[1]):
            for s in range(width):
                started = outcome[a, r, s] | (onset_month[a, r, s] == month)
                outcome[a, r, s] = started & (not (u_remission[r, s] < remission))


def adult_outcomes_month(children, month: int, remission_per_month: float, u_remission: np.ndarray) -> None:
    """``start_adult_outcomes(month)`` then ``adult_remission(remission_per_month, u_remission)`` of the
    :class:`~agents.children.ChildPopulation` in one compiled pass (the same outcomes)."""
    ch = children
    outcome, onset, u = whole(ch.adult_outcome), whole(ch.adult_onset_month), whole(u_remission)
    n_outcomes = outcome.shape[-1]
    # (arms, R, agents × outcomes) views of the contiguous arrays: one flat row per (arm, replication).
    # The loop writes the outcomes: theirs must be a view (copy=False raises where numpy would copy,
    # and the loop's writes would be lost in the copy); the two it only reads may be copies
    compiled("adult_outcomes_month", _adult_outcomes_month_loop)(
        np.int64(ch.window * n_outcomes), np.int64(month), onset.reshape(onset.shape[:2] + (-1,)),
        u.reshape(u.shape[0], -1), comparison_threshold(u_remission, remission_per_month),
        outcome.reshape(outcome.shape[:2] + (-1,), copy=False))


# --- children turning 18: their adult outcomes dated ---------------------------------------------

#: the conduct-problem months a table of adult-outcome rates covers (int16: every count the history holds)
CONDUCT_MONTHS_TABLE = 2 ** 15


def adult_outcome_tables(base_probability: np.ndarray, max_multiplier: float, history_months: int,
                         onset_months: int) -> tuple[np.ndarray, np.ndarray]:
    """(conduct months 0…2¹⁵−1, outcomes) tables of what ``ChildPopulation.come_of_age`` computes per child
    from its months with conduct problems: the probability that an outcome starts at all, and the
    log1p(−monthly hazard) it divides by. Computed with the reference's numpy expressions, operation
    for operation, on a contiguous array of every count (numpy's elementwise loops give an element the
    same bits in any contiguous array; tests/test_kernels_month.py checks the tables against the
    reference computed child by child), so a child's lookup is the reference's value."""
    from agents.hazards import adult_risk_multiplier, monthly_from_cumulative
    conduct = np.arange(CONDUCT_MONTHS_TABLE, dtype=np.int16)[None]                   # (1, counts): as (arms, k)
    rr = adult_risk_multiplier(conduct.astype(float), max_multiplier, history_months)
    probability = np.clip(base_probability[None, None, :] * rr[:, :, None], 0.0, 1.0)
    hazard = monthly_from_cumulative(probability, onset_months)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.log1p(-np.minimum(hazard, 1.0 - 1e-15))
    return np.ascontiguousarray(probability[0]), np.ascontiguousarray(denominator[0])


_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _tables(base_probability: np.ndarray, max_multiplier: float, history_months: int, onset_months: int):
    key = (np.asarray(base_probability, dtype=float).tobytes(), float(max_multiplier), history_months, onset_months)
    if key not in _TABLES:
        if len(_TABLES) > 16:              # a study's design points: keep a few
            _TABLES.clear()
        _TABLES[key] = adult_outcome_tables(np.asarray(base_probability, dtype=float), max_multiplier,
                                            history_months, onset_months)
    return _TABLES[key]


def _come_of_age_loop(rows, columns, numerator, probability, denominator, u_outcome, present,
                      conduct_months, birth_month, onset_first_month, onset_months, never_month, home,
                      adult_onset_month, adult, placement, placement_months_left):  # pragma: no cover
    # ChildPopulation.come_of_age for the children (rows[j], columns[j]) turning 18 (find_equal's pairs,
    # distinct), after the numpy lines' transcendental parts: numerator[j, k] = log1p(−u) (numpy's) and
    # the tables by conduct months (adult_outcome_tables). Per arm and outcome: m = ⌊numerator /
    # denominator⌋ (a division by zero as IEEE gives it, which numpy's errstate lets through), NaN → 0,
    # clipped to [0, onset months − 1]; the onset month the birth month + the first onset month + m
    # where the child is in the area and u < p, never otherwise; in the area it becomes an adult and
    # goes home. Returns False, changing nothing, when a count is outside the tables (never: int16)
    n_tables = probability.shape[0]
    n_arms, n_outcomes = present.shape[0], numerator.shape[1]
    for j in range(rows.shape[0]):
        for a in range(n_arms):
            c = conduct_months[a, rows[j], columns[j]]
            if c < 0 or c >= n_tables:
                return False
    last = np.float64(onset_months - 1)
    for j in range(rows.shape[0]):
        r = rows[j]
        i = columns[j]
        first = np.float64(birth_month[r, i] + onset_first_month)
        for a in range(n_arms):
            here = present[a, r, i]
            c = conduct_months[a, r, i]
            for k in range(n_outcomes):
                top = numerator[j, k]
                bottom = denominator[c, k]
                # a zero divisor is a zero hazard: p is 0 (u < p never) or so small that 1 − p rounds
                # to 1 (u < p only for u = 0: 0/0, NaN, m = 0), so the IEEE quotient is kept, not skipped
                if bottom != 0.0:
                    m = np.floor(top / bottom)
                elif top != top or top == 0.0:
                    m = np.nan
                else:                                    # ±inf, its sign the quotient's
                    m = np.inf if (top < 0.0) == (math.copysign(1.0, bottom) < 0.0) else -np.inf
                if m != m:
                    m = 0.0
                m = min(max(m, 0.0), last)
                u = np.float64(u_outcome[r, i, k])
                if here and u < probability[c, k]:
                    adult_onset_month[a, r, i, k] = np.int32(first + m)
                else:
                    adult_onset_month[a, r, i, k] = never_month
            if here:
                adult[a, r, i] = True
                placement[a, r, i] = home
                placement_months_left[a, r, i] = 0
    return True


def come_of_age(children, rows: np.ndarray, columns: np.ndarray, base_probability: np.ndarray,
                max_multiplier: float, history_months: int, onset_first_month: int, onset_months: int,
                u_outcome: np.ndarray, never_month: int, home: int) -> bool:
    """The children (``rows``, ``columns``) turning 18 become adults and their outcomes are dated, as
    ``ChildPopulation.come_of_age``'s numpy lines do (the same onset months): log1p of their draws by
    numpy, the rates from :func:`adult_outcome_tables`, the rest in one compiled pass. False when the
    pass refused (a count outside the tables; nothing changed): the caller runs the numpy lines."""
    ch = children
    probability, denominator = _tables(base_probability, max_multiplier, history_months, onset_months)
    numerator = np.log1p(-u_outcome[rows, columns].astype(float))          # (k, outcomes), as the reference's
    return bool(compiled("come_of_age", _come_of_age_loop)(
        rows, columns, numerator, probability, denominator, whole(u_outcome), whole(ch.present),
        whole(ch.conduct_problem_months), whole(ch.birth_month), np.int64(onset_first_month),
        np.int64(onset_months), np.int32(never_month), np.int8(home), whole(ch.adult_onset_month),
        whole(ch.adult), whole(ch.placement), whole(ch.placement_months_left)))


# --- the first by priority among the eligible (agents/base.py: first_by_priority is the reference) --
#
# Both loops below choose as first_by_priority does in a row: the room lowest priorities of the
# candidates (gathered in ascending position), ties by position — all of them when there is room for
# all, else a stable sort of their priorities (mergesort, as the reference's argsort(kind="stable")).
# (Written out in each loop: a compiled helper called from a cached loop would not be cached with it.)

def _enrol_households_loop(window, arm, capacity, present, on_eb, participant, composition, eligible_by_composition,
                           months_on_eb, min_months_on_eb, priority, chosen, candidates, keys):  # pragma: no cover
    # Intervention.enrol's lines for one arm: per replication the room (the project's households less its
    # participants on EB), the eligible (present, on EB, of an eligible composition, not a participant,
    # on EB long enough) and the room first of them by priority, made participants. One pass over the
    # window gathers every row's count and candidates (candidates[r, :n]: each position written, the
    # count advanced only for the eligible — no branch to mispredict); nothing is changed before every
    # row's room is known. Returns -1, changing nothing, when no replication has room (the reference
    # then skips the arm), else how many were chosen
    n_reps = chosen.shape[0]
    any_room = False
    for r in range(n_reps):
        current = 0
        n = 0
        for i in range(window):
            on = on_eb[arm, r, i]
            taken = participant[arm, r, i]
            current += taken & on
            candidates[r, n] = i
            n += (present[arm, r, i] & on & eligible_by_composition[composition[r, i]] & (not taken)
                  & (months_on_eb[arm, r, i] >= min_months_on_eb))
        keys[r, 0] = capacity - current          # the row's room
        keys[r, 1] = n                           # and its candidates
        any_room = any_room | (capacity - current > 0)
    if not any_room:
        return -1
    total = 0
    for r in range(n_reps):
        room = np.int64(keys[r, 0])
        n = np.int64(keys[r, 1])
        if room <= 0 or n == 0:
            continue
        row = candidates[r]
        if room >= n:
            for j in range(n):
                chosen[r, row[j]] = True
                participant[arm, r, row[j]] = True
            total += n
            continue
        order = np.argsort(priority[r][row[:n]], kind="mergesort")
        for j in range(room):
            chosen[r, row[order[j]]] = True
            participant[arm, r, row[order[j]]] = True
        total += room
    return total


def enrol_households(households, arm: int, capacity: int, eligible_by_composition: np.ndarray,
                     min_months_on_eb) -> np.ndarray | None:
    """One arm's enrolment as ``Intervention.enrol``'s numpy lines do it (count the room, find the
    eligible, ``first_by_priority``, make them participants), in one compiled pass: the (R, window)
    mask of the chosen households, or None when no replication had room (nothing changed)."""
    hh = households
    window = hh.window
    chosen = np.zeros(hh.participant.shape[1:], dtype=bool)
    found = compiled("enrol_households", _enrol_households_loop)(
        np.int64(window), np.int64(arm), np.int64(capacity), whole(hh.present), whole(hh.on_eb),
        whole(hh.participant), whole(hh.composition), eligible_by_composition, whole(hh.months_on_eb),
        _number(min_months_on_eb), whole(hh.enrolment_priority), chosen,
        np.empty((chosen.shape[0], max(window, 1)), dtype=np.int64), np.empty((chosen.shape[0], 2), dtype=np.int64))
    return None if found < 0 else chosen


def _protective_places_loop(window, arm, month, factor, capacity, dropout, u_protective, dropout_column, strength,
                            min_age_years, max_age_years, work_scale, household, n_households, participant, present,
                            adult, assigned, protective, birth_month, priority, chosen, candidates,
                            keys):  # pragma: no cover
    # Protective.enrol_children's lines for one arm: places held by this factor drop out where the draw
    # is under the rate (the place given back: assigned -1); per replication the room (capacity less the
    # places still held) goes to the first by priority of the participants' children (household a
    # participant below the row's household limit, in the area, a minor) without a place and of the age;
    # a place works (holds the factor) where strength >= 1 or priority x scale < strength. Returns how
    # many places were given. (The reference gives none when no row has room or strength <= 0 —
    # row by row the same: a row without room chooses none.)
    n_reps = chosen.shape[0]
    total = 0
    for r in range(n_reps):
        held = 0
        for i in range(window):
            if assigned[arm, r, i] == factor:
                if u_protective[r, i, dropout_column] < dropout:
                    assigned[arm, r, i] = -1
                else:
                    held += 1
        room = capacity - held
        if room <= 0 or strength <= 0:
            continue
        n = 0
        limit = n_households[r]
        for i in range(window):
            h = household[r, i]
            if h >= limit or assigned[arm, r, i] >= 0 or not present[arm, r, i] or adult[arm, r, i]:
                continue
            if not participant[arm, r, h]:
                continue
            age_years = (month - birth_month[r, i]) // 12
            if age_years >= min_age_years and age_years <= max_age_years:
                candidates[n] = i
                n += 1
        if n == 0:
            continue
        if room >= n:
            for j in range(n):
                chosen[r, candidates[j]] = True
            total += n
        else:
            for j in range(n):
                keys[j] = priority[r, candidates[j]]
            order = np.argsort(keys[:n], kind="mergesort")
            for j in range(room):
                chosen[r, candidates[order[j]]] = True
            total += room
        for j in range(n):
            i = candidates[j]
            if chosen[r, i] and (strength >= 1.0 or priority[r, i] * work_scale < strength):
                assigned[arm, r, i] = factor
                protective[arm, r, i, factor] = True
    return total


def protective_places(children, households, arm: int, month: int, factor: int, capacity: int, dropout_per_month,
                      u_protective: np.ndarray, dropout_column: int, strength: float, min_age_years,
                      max_age_years, work_scale: float) -> int:
    """``Protective.enrol_children``'s lines for ``arm`` in one compiled pass (the same places and factors):
    the dropout draw is column ``dropout_column`` of ``u_protective`` (the draws' child_protective)."""
    ch, hh = children, households
    window = ch.window
    chosen = np.zeros(ch.present.shape[1:], dtype=bool)
    # of_households' limit: a child's household value is read below its row's count and the window
    limits = np.minimum(ch.n_households, hh.participant.shape[-1]).astype(np.int64)
    return int(compiled("protective_places", _protective_places_loop)(
        np.int64(window), np.int64(arm), np.int64(month), np.int8(factor), np.int64(capacity),
        comparison_threshold(u_protective, dropout_per_month), whole(u_protective), np.int64(dropout_column),
        np.float64(strength), _number(min_age_years), _number(max_age_years), np.float64(work_scale),
        whole(ch.household), limits, whole(hh.participant), whole(ch.present), whole(ch.adult),
        whole(ch.assigned_protective), whole(ch.protective), whole(ch.birth_month), whole(ch.priority), chosen,
        np.empty(max(window, 1), dtype=np.int64), np.empty(max(window, 1), dtype=np.float64)))


def _number(value):
    """A config number as the loops compare it: an int as int64, anything else as float64 (exact either way)."""
    return np.int64(value) if isinstance(value, (int, np.integer)) else np.float64(value)


# --- children leaving home: their families' counts and compositions ----------------------------

def _leave_home_loop(rows, households, children_at_home, composition, single_parent, single_adult,
                     couple_with_children, couple_without_children, out_rows, out_households):  # pragma: no cover
    # HouseholdPopulation.children_leave_home for (rows[j], households[j]) pairs, one per child leaving:
    # when the pairs are in ascending order (np.nonzero's order of children stored household by
    # household: always, in the model) each distinct pair, in that order, loses its count of children at
    # home (int8, as the reference's cast count), and a family left without children at home becomes its
    # childless counterpart; the distinct pairs are written out, their number returned. Returns -1,
    # changing nothing, when the pairs are not in order (the reference's np.unique sorts them)
    n = rows.shape[0]
    for j in range(1, n):
        if rows[j] < rows[j - 1] or (rows[j] == rows[j - 1] and households[j] < households[j - 1]):
            return -1
    k = 0
    j = 0
    while j < n:
        r = rows[j]
        h = households[j]
        count = 0
        while j < n and rows[j] == r and households[j] == h:
            count += 1
            j += 1
        children_at_home[r, h] = children_at_home[r, h] - np.int8(count)
        if children_at_home[r, h] <= 0:
            if composition[r, h] == single_parent:
                composition[r, h] = single_adult
            elif composition[r, h] == couple_with_children:
                composition[r, h] = couple_without_children
        out_rows[k] = r
        out_households[k] = h
        k += 1
    return k


def leave_home(households, rows: np.ndarray, household: np.ndarray, composition_index: dict[str, int]):
    """``HouseholdPopulation.children_leave_home``'s lines in one compiled pass: the distinct (replication,
    household) pairs whose count changed, or None when the pairs were not in ascending order (nothing
    changed: the caller runs the numpy lines)."""
    hh = households
    out_rows = np.empty(rows.shape[0], dtype=np.intp)
    out_households = np.empty(rows.shape[0], dtype=np.intp)
    found = compiled("leave_home", _leave_home_loop)(
        np.ascontiguousarray(rows, dtype=np.intp), np.ascontiguousarray(household, dtype=np.intp),
        whole(hh.children_at_home), whole(hh.composition), np.int8(composition_index["single_parent"]),
        np.int8(composition_index["single_adult"]), np.int8(composition_index["couple_with_children"]),
        np.int8(composition_index["couple_without_children"]), out_rows, out_households)
    if found < 0:
        return None
    return out_rows[:found], out_households[:found]


# --- the intervention's intensive open-care episodes ----------------------------------------------

def _intensive_episodes_loop(window, arm, start, participant, u_treatment, strength, intensive,
                             families):  # pragma: no cover - compiled by numba
    # FamilyTreatment.intensive_episodes' lines for one arm: an episode starting in a participant family
    # is intensive where its treatment draw is under the strength; families[r] counts the participant
    # families starting one (what the evaluation is told), over the window as the reference counts
    for r in range(intensive.shape[1]):
        count = 0
        for i in range(window):
            starting = start[arm, r, i] & participant[arm, r, i]
            count += starting
            intensive[arm, r, i] = starting & (u_treatment[r, i] < strength)
        families[r] = count


def intensive_episodes(households, arm: int, start: np.ndarray, u_treatment: np.ndarray,
                       strength: float) -> tuple[np.ndarray, np.ndarray]:
    """``FamilyTreatment.intensive_episodes``' mask (False outside ``arm``) and its count of participant
    families starting an episode per replication, in one compiled pass (the same mask and counts)."""
    hh = households
    start = np.ascontiguousarray(start)
    intensive = np.zeros_like(start)
    families = np.empty(start.shape[1], dtype=np.int64)
    compiled("intensive_episodes", _intensive_episodes_loop)(
        np.int64(start.shape[-1]), np.int64(arm), start, whole(hh.participant), whole(u_treatment),
        comparison_threshold(u_treatment, strength), intensive, families)
    return intensive, families
