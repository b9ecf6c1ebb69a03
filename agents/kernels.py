"""Compiled loops for the hottest monthly passes, each beside its numpy reference (issue 15).

A month's transition written with numpy makes one pass over the (arms, replications, agents)
arrays per operation; the children's factor update makes about ten. The compiled version
(numba, pinned in ``pyproject.toml``) makes one, with the same arithmetic in the same float
types, so both give the same bits: ``tests/test_kernels.py`` asserts that on random states and
on whole runs.

Which implementation runs: ``SIFSIM_KERNELS=auto`` (the default) compiles when the run is large
enough to repay numba's start-up in each process (about 0.6 s to load the cached code, 1.5 s to
compile it the first time on a machine: :data:`AUTO_MIN_WORK`), ``numba`` always, ``numpy`` never.
Without numba installed the references run. The compiled code is cached next to this file
(``__pycache__``). The choice never changes a result, only the time.
"""

from __future__ import annotations

import math
import os
import weakref

import numpy as np

KERNELS_ENV = "SIFSIM_KERNELS"
CHOICES = ("auto", "numba", "numpy")
#: agent-months (arms × child slots × months of a batch) from which ``auto`` compiles. numba costs
#: about 0.8 s per process to start (loading the cached loops); measured on the default scenario in a
#: fresh process (2026-12-01, 0.5.0, a loaded machine): 10 replications 2.6 s compiled vs 3.5 s numpy
#: (1.3·10⁷ agent-months), 3 replications 2.5 s vs 2.0 s (4·10⁶): the break-even is near 10⁷
AUTO_MIN_WORK = 10_000_000


def requested() -> str:
    """``SIFSIM_KERNELS`` (auto, numba or numpy); a ValueError names the allowed values."""
    wanted = os.environ.get(KERNELS_ENV, "auto").strip().lower() or "auto"
    if wanted not in CHOICES:
        raise ValueError(f"{KERNELS_ENV}={wanted!r} is not one of {', '.join(CHOICES)}")
    return wanted


def choose(work: float) -> str:
    """The implementation for a batch of ``work`` agent-months: "numba" or "numpy"."""
    wanted = requested()
    if wanted == "auto":     # once this process has loaded the compiled loops they cost nothing more
        wanted = "numba" if work >= AUTO_MIN_WORK or _COMPILED else "numpy"
    if wanted == "numba":
        try:
            import numba  # noqa: F401
        except ImportError:      # pragma: no cover - numba is a pinned dependency
            return "numpy"
    return wanted


# --- the children's risk and protective factors ------------------------------------------------

def evolve_factors_numpy(risk: np.ndarray, protective: np.ndarray, assigned_protective: np.ndarray,
                         onset_per_month: np.ndarray, remission_per_month: np.ndarray,
                         protective_loss_per_month: np.float32, u_risk: np.ndarray,
                         u_protective: np.ndarray, active: np.ndarray) -> None:
    """Risk factors start or stop, protective factors fade (in place); the reference.

    Shapes: ``risk`` (arms, R, N, risk factors) and ``protective`` (arms, R, N, protective
    factors), boolean; ``assigned_protective`` (arms, R, N): the factor an intervention gives
    and holds (−1: none); ``onset_per_month``/``remission_per_month`` (arms, R, N) float32;
    ``u_risk``/``u_protective`` (R, N, factors) float32, the same draws in both arms;
    ``active`` (arms, R, N): the children whose factors move this month.
    """
    u = u_risk[None]
    on = active[..., None]
    # a factor flips when the draw falls under the rate that applies to its current state
    rate = np.where(risk, remission_per_month[..., None], onset_per_month[..., None])
    risk ^= on & (u < rate)
    lose = on & protective & (u_protective[None] < protective_loss_per_month)
    if (assigned_protective >= 0).any():
        lose &= ~(assigned_protective[..., None] == np.arange(protective.shape[-1]))
    protective &= ~lose


# --- a family's largest value over its children ------------------------------------------------

def family_max_numpy(values: np.ndarray, household: np.ndarray, families: list[np.ndarray],
                     first_child: list[np.ndarray], limits: np.ndarray, n_households: int) -> np.ndarray:
    """Per household (arms, R, n_households): the largest of its children's ``values`` (≥ 0; 0 if none).

    ``household`` (R, N): each child's household; children are stored household by household,
    ``families[r]``/``first_child[r]``: replication r's households with children and the index of
    each one's first child; only households below ``limits[r]`` count. The reference.
    """
    out = np.zeros(values.shape[:-1] + (n_households,), dtype=float)
    for r in range(values.shape[1]):
        k = int(np.searchsorted(families[r], limits[r]))
        first = first_child[r][:k]
        if k and first[-1] < values.shape[-1]:
            out[:, r, families[r][:k]] = np.maximum.reduceat(values[:, r], first, axis=-1)
    return out


_COMPILED: dict[str, object] = {}


#: views :func:`whole` found to be prefixes: id(view) → (a weak reference to the view, its base).
#: An entry goes when its view does; the model's views live from one re-binding to the next, so
#: the pointer comparison (≈ 15 µs through ``__array_interface__``) is made once per view, not per call.
_PREFIXES: dict[int, tuple] = {}


def whole(view: np.ndarray) -> np.ndarray:
    """The C-contiguous array ``view`` is a prefix of (same start, same strides), else ``view``.

    The model's attributes are views of the first ``window`` agents of larger arrays; a loop
    over a contiguous array is faster than over a strided view, and compiles once.
    """
    key = id(view)
    known = _PREFIXES.get(key)
    if known is not None and known[0]() is view:
        return known[1]
    base = view.base
    if (isinstance(base, np.ndarray) and base.ndim == view.ndim and base.flags.c_contiguous
            and base.strides == view.strides and base.dtype == view.dtype
            and base.__array_interface__["data"][0] == view.__array_interface__["data"][0]):
        remember_prefix(view, base)
        return base
    return view


def remember_prefix(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Note that ``view`` is a prefix of ``base`` (``base[..., :w]`` along the agent axis), for
    :func:`whole`, if ``base`` is C-contiguous (otherwise ``whole`` gives the view itself, so
    nothing is noted); returns ``view``. The model's populations re-bind their views every month
    agents arrive and say so here, so ``whole`` never compares pointers for them."""
    if not base.flags.c_contiguous:
        return view
    key = id(view)
    _PREFIXES[key] = (weakref.ref(view, lambda _, key=key: _PREFIXES.pop(key, None)), base)
    return view


def compiled(name: str, loop):
    """``loop`` compiled by numba (cached on disk and in this process under ``name``)."""
    if name not in _COMPILED:
        import numba
        _COMPILED[name] = numba.njit(cache=True, nogil=True)(loop)
    return _COMPILED[name]


# --- a month of the children, fused (simulation/core/childhood.py's numpy path is the reference) ----

def _household_flags_loop(n_households, present, on_eb, last_exit_route, open_care_intensive,
                          open_care_months_left, participant, work_route, flags):  # pragma: no cover - compiled
    # flags[a, r, i] for the first n_households households of every row: bit 0 present, bit 1 off EB after
    # an exit to work (a parent in work), bit 2 in an intensive open-care episode, bit 3 a participant
    # (childhood.household_flags, the numpy reference, packs the same bits); branch-free, vectorised
    n_arms, n_reps = flags.shape[0], flags.shape[1]
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                flags[a, r, i] = np.uint8(present[a, r, i]) \
                    | (np.uint8((not on_eb[a, r, i]) & (last_exit_route[a, r, i] == work_route)) << 1) \
                    | (np.uint8(open_care_intensive[a, r, i] & (open_care_months_left[a, r, i] > 0)) << 2) \
                    | (np.uint8(participant[a, r, i]) << 3)


def household_flags(households, work_route: int) -> np.ndarray:
    """(arms, R, window) uint8: the households' state the children's month reads, packed into bits
    in one compiled pass (:func:`_household_flags_loop`), so that a child reads one byte of its
    household instead of six arrays."""
    hh = households
    flags = np.empty(hh.present.shape, dtype=np.uint8)
    compiled("household_flags", _household_flags_loop)(
        np.int64(hh.window), whole(hh.present), whole(hh.on_eb), whole(hh.last_exit_route),
        whole(hh.open_care_intensive), whole(hh.open_care_months_left), whole(hh.participant),
        np.int64(work_route), flags)
    return flags


def _child_month_loop(month, adult_age_months, hh_flags, household, n_households,
                      birth_month, present, adult, protective, n_protective_factors, onset_by_protection,
                      remission_rate, intervention, onset_held_factor, onset_multiplier, remission_multiplier,
                      placement_multiplier, n_risk_factors, conduct, history_first, history_end,
                      replacement_window, replacement_hazard, risk, assigned_protective, protective_loss, u_risk,
                      u_protective, conduct_months, placement, placement_months_left, months_since_return,
                      ever_placed, hazard_table, u_place, n_children, new_arm, new_rep, new_child,
                      placements_control, minor_months_control,
                      family_risk, control, keep, kept_onset, kept_remission, kept_hazard, kept_minors,
                      kept_n_risk):  # pragma: no cover - compiled by numba
    # simulation/core/childhood.py's step_numpy (the reference) in one pass per child, the same
    # operations in the same order and float types: presence follows the household while a minor; a
    # minor present ("on") has its onset rate by its protective count (its own factors + a parent in
    # work after an exit to work) and the remission rate, changed by the mechanisms' hooks as factors
    # (numpy's np.multiply(..., where=) with a float64 factor, in the intervention arm: onset ×
    # onset_multiplier[j] where the child holds the place of protective factor onset_held_factor[j],
    # in order; remission × remission_multiplier[j] in intensive treatment); its risk factors start
    # and stop and protective ones fade (as evolve_factors_numpy, in float32; branch-free, since the
    # draws decide at random), a month of conduct history; placements count down and end (every
    # child); a minor's placement hazard from the table (the re-placement hazard for those recently
    # home; × placement_multiplier[j] in intensive treatment and a participant's child), who is
    # placed (a minor at home whose draw falls under it: written as (arm, replication, child) to
    # new_arm/new_rep/new_child in np.nonzero's order, their number returned, so that the caller
    # places them without a pass over a mask), the control arm's counts and each family's
    # largest risk count over its minors (family_max of where(minors, n_risk, 0); family_risk starts
    # at 0). With keep, the minors and risk counts, and the rates and hazard of the minors, are kept
    # (tests). The first n_children children of each row are the window; the state arrays may be the
    # whole arrays the model's views are prefixes of; risk and
    # protective are the (arms, R, capacity, 4) bool flags viewed as (arms, R, capacity, 1) uint32 words.
    #
    # A child that is not on (an adult, not yet born or 18, not in the area, beyond its row's prefix:
    # 41 % of Öster's window, 28 % of a city's, measured over a run) skips the rates, the factor
    # loops and the hazard, because none of them can change anything for it (each follows from the code of the full path):
    # - its risk factors stay: now = was != (on & ...) = was;
    # - its protective factors stay: lost = on & ... = False;
    # - it adds no conduct month (on & ... = 0), cannot be placed (x = on & ... = False), counts
    #   no minor month (+= on) and gives its family 0 (v = 0, and family_risk starts at 0);
    # - its rates and hazard are read only by those expressions (and by keep).
    # The draws are made for every child beforehand (simulation/core/draws.py), so skipping them
    # changes no stream. Its presence update and its placement's countdown still run.
    n_arms, n_reps = present.shape[0], present.shape[1]
    n_new = 0
    for a in range(n_arms):
        hooked = a == intervention
        for r in range(n_reps):
            limit = n_households[r]
            placed = 0
            minor_count = 0
            for i in range(n_children):
                h = household[r, i]
                age = month - birth_month[r, i]
                if age < adult_age_months:
                    here = False
                    if h < limit:
                        here = (hh_flags[a, r, h] & np.uint8(1)) != 0
                    present[a, r, i] = here
                on = present[a, r, i] & (not adult[a, r, i]) & (age >= 0) & (age < adult_age_months)
                # placements count down and end, on or not (step_numpy's end_placements: every child)
                since = months_since_return[a, r, i] + 1
                if placement[a, r, i] != 0:
                    left = placement_months_left[a, r, i] - 1
                    placement_months_left[a, r, i] = left
                    if left <= 0:
                        placement[a, r, i] = 0
                        since = 0
                months_since_return[a, r, i] = since
                if not on:
                    if keep:
                        count = np.int64(((np.uint64(risk[a, r, i, 0]) * np.uint64(0x01010101)) >> np.uint64(24))
                                         & np.uint64(0xFF))
                        kept_onset[a, r, i] = np.nan
                        kept_remission[a, r, i] = np.nan
                        kept_hazard[a, r, i] = np.nan
                        kept_minors[a, r, i] = False
                        kept_n_risk[a, r, i] = count
                    continue
                # --- a minor present: here is True, so h < limit (present was just set to here)
                # its household's state, one byte (household_flags): bit 1 a parent in work (off EB
                # after an exit to work), bit 2 in intensive treatment, bit 3 a participant
                state = hh_flags[a, r, h]
                in_work = (state >> np.uint8(1)) & np.uint8(1)
                treated = ((state >> np.uint8(2)) & np.uint8(1)) != 0
                taking_part = ((state >> np.uint8(3)) & np.uint8(1)) != 0
                # a child's four flags are one little-endian word (byte k = flag k, 0 or 1): one load
                # and one store each instead of four; × 0x01010101 sums the bytes into the top byte
                # (count_factors' trick)
                protective_word = protective[a, r, i, 0]
                n_protective = np.int64(in_work) + np.int64(((np.uint64(protective_word) * 0x01010101) >> 24) & 0xFF)
                rate_on = onset_by_protection[n_protective]
                rate_off = remission_rate
                held = assigned_protective[a, r, i]
                if hooked:
                    if treated:
                        for j in range(remission_multiplier.shape[0]):
                            rate_off = np.float32(np.float64(rate_off) * remission_multiplier[j])
                    for j in range(onset_held_factor.shape[0]):
                        if held == onset_held_factor[j]:
                            rate_on = np.float32(np.float64(rate_on) * onset_multiplier[j])
                word = np.uint64(risk[a, r, i, 0])
                flips = np.uint64(0)
                for k in range(n_risk_factors):
                    was = (word >> np.uint64(8 * k)) & np.uint64(1)
                    rate = rate_off if was else rate_on
                    flips |= np.uint64(u_risk[r, i, k] < rate) << np.uint64(8 * k)
                word ^= flips
                risk[a, r, i, 0] = np.uint32(word)
                count = np.int64(((word * np.uint64(0x01010101)) >> np.uint64(24)) & np.uint64(0xFF))
                lost = np.uint64(0)
                for k in range(n_protective_factors):
                    lost |= np.uint64((k != held) & (u_protective[r, i, k] < protective_loss)) << np.uint64(8 * k)
                protective[a, r, i, 0] = np.uint32(np.uint64(protective_word) & ~lost)
                conduct_months[a, r, i] += (age >= history_first) & (age < history_end) \
                    & np.bool_((word >> np.uint64(8 * conduct)) & np.uint64(1))
                hazard = hazard_table[r, count, n_protective]
                if ever_placed[a, r, i] and since < replacement_window and replacement_hazard > hazard:
                    hazard = replacement_hazard
                if hooked and treated and taking_part:
                    for j in range(placement_multiplier.shape[0]):
                        hazard = hazard * placement_multiplier[j]
                x = (placement[a, r, i] == 0) & (u_place[r, i] < hazard)
                if x:       # few: the branch is predictable
                    new_arm[n_new] = a
                    new_rep[n_new] = r
                    new_child[n_new] = i
                    n_new += 1
                placed += x
                minor_count += 1
                # the family's largest count as a select and a store, not a branch (which of a family's
                # minors raises it is a coin toss: the branch was mispredicted; 12-14 % of the loop's
                # time on a city batch, measured)
                current = family_risk[a, r, h]
                family_risk[a, r, h] = np.int8(count) if count > current else current
                if keep:
                    kept_onset[a, r, i] = rate_on
                    kept_remission[a, r, i] = rate_off
                    kept_hazard[a, r, i] = hazard
                    kept_minors[a, r, i] = True
                    kept_n_risk[a, r, i] = count
            if a == control:
                placements_control[r] += placed
                minor_months_control[r] += minor_count
    return n_new


def _open_care_month_loop(n_children, present, months_left, month_index, family_risk, need_by_family_risk,
                          u_open_care, start):  # pragma: no cover - compiled by numba
    # a month of the running episodes passes (households.tick_open_care), then families with children
    # and no episode start one with the need of their largest child risk count (open_care.step)
    n_arms, n_reps, n_households = start.shape
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                left = months_left[a, r, i]
                left = left - (left > 0)
                months_left[a, r, i] = left
                month_index[a, r, i] += left > 0
                hazard = need_by_family_risk[family_risk[a, r, i]]
                start[a, r, i] = (n_children[r, i] > 0) & present[a, r, i] & (left == 0) \
                    & (u_open_care[r, i] < hazard)


def _start_open_care_loop(n_households, start, intensive, with_intensive, lengths, months_left, month_index,
                          open_care_intensive):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.start_open_care with OpenCare.start's lengths: where start is set, the episode
    # begins with lengths[intensive] months (already cast to months_left's type, as numpy's copyto
    # casts np.where's lengths), month 0, and its variant (intensive is all False without
    # with_intensive); starts are few a month, so the branch is predictable
    n_arms, n_reps = start.shape[0], start.shape[1]
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                if start[a, r, i]:
                    kind = with_intensive and intensive[a, r, i]
                    months_left[a, r, i] = lengths[np.int64(kind)]
                    month_index[a, r, i] = 0
                    open_care_intensive[a, r, i] = kind


def _household_cost_counts_loop(n_active, present, on_eb, last_exit_route, months_since_exit, routes, months,
                                counts):  # pragma: no cover - compiled by numba
    # per (arm, replication): households present and off EB whose last exit was routes[k] less than
    # months[k] months ago, for k = 0, 1, 2 (another benefit, studies, work: the cost booking's and
    # the fiscal booking's counts), counted over each replication's prefix; branch-free (the states
    # are mixed at random, a branch would be mispredicted)
    route_0, route_1, route_2 = routes[0], routes[1], routes[2]
    months_0, months_1, months_2 = months[0], months[1], months[2]
    for a in range(counts.shape[0]):
        for r in range(n_active.shape[0]):
            count_0 = 0
            count_1 = 0
            count_2 = 0
            for i in range(n_active[r]):
                off = present[a, r, i] & (not on_eb[a, r, i])
                route = last_exit_route[a, r, i]
                since = months_since_exit[a, r, i]
                count_0 += off & (route == route_0) & (since < months_0)
                count_1 += off & (route == route_1) & (since < months_1)
                count_2 += off & (route == route_2) & (since < months_2)
            counts[a, r, 0] = count_0
            counts[a, r, 1] = count_1
            counts[a, r, 2] = count_2


def _child_cost_counts_loop(n_active, placement, present, adult, risk, conduct, adult_outcome,
                            counts):  # pragma: no cover - compiled by numba
    # per (arm, replication): children in HVB, in a family home, minors with conduct problems, and
    # adults with each outcome (counts[..., 3 + k]); branch-free
    n_outcomes = adult_outcome.shape[3]
    for a in range(counts.shape[0]):
        for r in range(n_active.shape[0]):
            hvb = 0
            family_home = 0
            problems = 0
            for i in range(n_active[r]):
                kind = placement[a, r, i]
                hvb += kind == 1
                family_home += kind == 2
                problems += present[a, r, i] & (not adult[a, r, i]) & risk[a, r, i, conduct]
            counts[a, r, 0] = hvb
            counts[a, r, 1] = family_home
            counts[a, r, 2] = problems
            for k in range(n_outcomes):
                with_outcome = 0
                for i in range(n_active[r]):
                    with_outcome += adult_outcome[a, r, i, k]
                counts[a, r, 3 + k] = with_outcome


def _spread_to_children_loop(values, household, limits, out):  # pragma: no cover - compiled by numba
    # out[a, r, i] = values[a, r, household[r, i]] for the children of households below limits[r]
    # (out starts at zero)
    n_arms, n_reps, n_children = out.shape
    for a in range(n_arms):
        for r in range(n_reps):
            limit = limits[r]
            for i in range(n_children):
                h = household[r, i]
                if h < limit:
                    out[a, r, i] = values[a, r, h]


def spread_to_children(values: np.ndarray, household: np.ndarray, limits: np.ndarray, n_children: int) -> np.ndarray:
    """A per-household (arms, R, H) array spread to the first ``n_children`` children (arms, R, N), compiled."""
    out = np.zeros(values.shape[:-1] + (n_children,), dtype=values.dtype)
    compiled("spread_to_children", _spread_to_children_loop)(values, household, limits, out)
    return out


# --- the households' EB month (agents/households.py's numpy methods are the references) ---------

def _eb_exits_loop(on_eb, u_exit, hazard, u_route, route_cdf, moved, last_exit_route, months_since_exit,
                   present, exits, route):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.eb_exits in one pass: who leaves (the same draw in both arms), the route
    # of anyone leaving in either arm (searchsorted(route_cdf, u, "right"), capped at the last
    # route), and the leavers' state; moving away leaves the area
    # (branch-free for households off EB: skipping them, 80 % of the window, with a branch was 9-25 %
    # slower, measured, the branch being mispredicted where on and off EB alternate)
    n_arms, n_reps, n_households = exits.shape
    n_routes = route_cdf.shape[0]
    for r in range(n_reps):
        for i in range(n_households):
            u = u_exit[r, i]
            leaving = False
            for a in range(n_arms):
                e = on_eb[a, r, i] & (u < hazard[a, r, i])
                exits[a, r, i] = e
                leaving = leaving | e
            chosen = -1
            if leaving:
                v = np.float64(u_route[r, i])
                k = 0
                for c in range(n_routes):
                    k += route_cdf[c] <= v
                chosen = min(k, n_routes - 1)
            route[r, i] = chosen
            if leaving:
                for a in range(n_arms):
                    if exits[a, r, i]:
                        on_eb[a, r, i] = False
                        last_exit_route[a, r, i] = chosen
                        months_since_exit[a, r, i] = 0
                        if chosen == moved:
                            present[a, r, i] = False


def _eb_reentries_loop(present, on_eb, last_exit_route, months_since_exit, months_on_eb, u_reentry,
                       hazard_table, n_routes, late_after_months, window_months, memory,
                       back):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.eb_reentries in one pass: households off EB in the area return with the
    # hazard of their exit route (lower after late_after_months off EB, none from window_months), and
    # resume floor(memory × their months on EB) (memory >= 1: where they left off; <= 0: from zero)
    n_arms, n_reps, n_households = back.shape
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                since = months_since_exit[a, r, i]
                route = last_exit_route[a, r, i]
                row = max(route, 0) + n_routes * (since >= late_after_months)
                b = present[a, r, i] & (not on_eb[a, r, i]) & (route >= 0) & (since >= 1) \
                    & (since < window_months) & (u_reentry[r, i] < hazard_table[row])
                back[a, r, i] = b
                if b:
                    on_eb[a, r, i] = True
                    if memory <= 0.0:
                        months_on_eb[a, r, i] = 0
                    elif memory < 1.0:
                        months_on_eb[a, r, i] = np.int32(np.floor(memory * months_on_eb[a, r, i]))


def _eb_month_loop(n_adults, n_children, exit_propensity, months_on_eb, on_eb, composition, fading_by_entry,
                  floor_by_entry, decay_by_month, caseload, with_children, eligible_min_months, control,
                  present, participant, intervention, policy_on, policy_by_composition, policy_min_months,
                  factors, clip, want_base, u_exit, u_route, route_cdf, moved, last_exit_route,
                  months_since_exit, u_reentry, reentry_table, n_routes, late_after_months, window_months,
                  memory, base, at_risk, treated, exits, route, back, n_exits, n_back):  # pragma: no cover - compiled
    # The households' EB month in one pass per household: _exit_hazard_loop, then _eb_exits_loop, then
    # _eb_reentries_loop, each the same operations in the same order and float types as there (those
    # three, run one after the other, are this loop's reference: tests/test_kernels.py). One pass is
    # the same as three because each household's outcome reads only its own slots and the month's
    # draws: the hazard reads the state before any exit; a household leaving gets months_since_exit 0,
    # which the re-entry test (since >= 1) excludes, exactly as when the re-entries ran after every
    # exit; one off EB cannot leave, and its re-entry reads only state no exit of another household
    # changes. What no reader needs is not written: the hazard (read only by the exits, here), the
    # base only with want_base (the evaluation's expected exits, in project months). Also the month's
    # counts: n_exits[a, r] and n_back[a, r] (count_true of exits and of back).
    n_arms, n_reps, n_households = exits.shape
    n_cdf = route_cdf.shape[0]
    for a in range(n_arms):
        for r in range(n_reps):
            n_exits[a, r] = 0
            n_back[a, r] = 0
    for r in range(n_reps):
        for i in range(n_households):
            on_any = False
            for a in range(n_arms):
                on_any = on_any | on_eb[a, r, i]
            if not on_any:
                # off EB in every arm: no hazard, no exit (_exit_hazard_loop's skip; base 0 as there)
                if want_base:
                    for a in range(n_arms):
                        base[a, r, i] = 0.0
                treated[r, i] = False
                at_risk[r, i] = False
                route[r, i] = -1
                for a in range(n_arms):
                    exits[a, r, i] = False
            else:
                # --- the hazard (_exit_hazard_loop)
                entry = 2 * (np.int64(n_adults[r, i]) - 1) + (n_children[r, i] > 0)
                fading = fading_by_entry[entry] * exit_propensity[r, i]
                floor = floor_by_entry[entry]
                policy_here = policy_on & policy_by_composition[composition[r, i]]
                taking_part = participant[intervention, r, i] & on_eb[intervention, r, i]
                treated[r, i] = taking_part
                u = u_exit[r, i]
                leaving = False
                for a in range(n_arms):
                    on = on_eb[a, r, i]
                    months = months_on_eb[a, r, i]
                    b = fading * decay_by_month[months] + floor
                    reach = policy_here & present[a, r, i] & on & (months >= policy_min_months)
                    k = np.int64(reach) + 2 * np.int64(taking_part & (a == intervention))
                    h = b * caseload[a, r] * factors[k]
                    if clip:
                        h = h if (h > 0.0) | (h != h) else 0.0
                        h = h if (h < 1.0) | (h != h) else 1.0
                    if want_base:
                        base[a, r, i] = b if on else 0.0
                    # --- who leaves (_eb_exits_loop): the same draw in both arms
                    e = on & (u < (h if on else 0.0))
                    exits[a, r, i] = e
                    leaving = leaving | e
                at_risk[r, i] = on_eb[control, r, i] & with_children[composition[r, i]] \
                    & (months_on_eb[control, r, i] >= eligible_min_months)
                chosen = -1
                if leaving:
                    v = np.float64(u_route[r, i])
                    kk = 0
                    for c in range(n_cdf):
                        kk += route_cdf[c] <= v
                    chosen = min(kk, n_cdf - 1)
                route[r, i] = chosen
                if leaving:
                    for a in range(n_arms):
                        if exits[a, r, i]:
                            on_eb[a, r, i] = False
                            last_exit_route[a, r, i] = chosen
                            months_since_exit[a, r, i] = 0
                            if chosen == moved:
                                present[a, r, i] = False
                            n_exits[a, r] += 1
            # --- who comes back (_eb_reentries_loop), after this household's exits
            for a in range(n_arms):
                since = months_since_exit[a, r, i]
                exit_route = last_exit_route[a, r, i]
                row = max(exit_route, 0) + n_routes * (since >= late_after_months)
                bk = present[a, r, i] & (not on_eb[a, r, i]) & (exit_route >= 0) & (since >= 1) \
                    & (since < window_months) & (u_reentry[r, i] < reentry_table[row])
                back[a, r, i] = bk
                if bk:
                    on_eb[a, r, i] = True
                    n_back[a, r] += 1
                    if memory <= 0.0:
                        months_on_eb[a, r, i] = 0
                    elif memory < 1.0:
                        months_on_eb[a, r, i] = np.int32(np.floor(memory * months_on_eb[a, r, i]))


def _advance_month_loop(n_arms, n_reps, n_households, on_eb, present, months_on_eb,
                        months_since_exit):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.advance_month: durations tick for everyone present
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                on = on_eb[a, r, i]
                months_on_eb[a, r, i] += on
                months_since_exit[a, r, i] += present[a, r, i] & (not on)


def _exact_masked_sums_loop(mask, values, n_active, out):  # pragma: no cover - compiled by numba
    # out[a, r] = Σ over replication r's prefix of mask × values; returns whether every term is a
    # whole number below 2³² in size and Σ|terms| < 2⁵³: then every partial sum is exact, in any
    # order, so the result is the bits numpy's pairwise sum gives. Summed as int64 (no overflow:
    # fewer than 2³¹ terms below 2³²), which the compiler vectorises; a float total would be one
    # serial chain of additions (14× slower, measured on 2 × 3 × 60 000 households)
    exact = True
    term_limit = 4294967296.0
    sum_limit = 9007199254740992
    for a in range(out.shape[0]):
        for r in range(out.shape[1]):
            total = np.int64(0)
            magnitude = np.int64(0)
            for i in range(n_active[r]):
                v = values[r, i] * mask[a, r, i]
                w = np.int64(v)
                exact = exact & (np.float64(w) == v) & (v < term_limit) & (v > -term_limit)
                total += w
                magnitude += abs(w)
            out[a, r] = np.float64(total)
            exact = exact & (magnitude < sum_limit)
    return exact


def masked_prefix_sums(mask: np.ndarray, values: np.ndarray, n_active: np.ndarray) -> np.ndarray | None:
    """(arms, R): Σ of ``mask`` (arms, R, W) × ``values`` (R, W) over each replication's prefix, or
    None when the terms are not whole numbers below 2³² in size, or their sizes sum to 2⁵³ or more
    (then only numpy's own summation gives its bits).
    """
    out = np.empty(mask.shape[:2], dtype=np.float64)
    if not compiled("exact_masked_sums", _exact_masked_sums_loop)(mask, values, n_active, out):
        return None
    return out


def _exit_hazard_loop(n_adults, n_children, exit_propensity, months_on_eb, on_eb, composition, fading_by_entry,
                      floor_by_entry, decay_by_month, caseload, with_children, eligible_min_months, control,
                      present, participant, intervention, policy_on, policy_by_composition, policy_min_months,
                      factors, clip, base, hazard, at_risk, treated):  # pragma: no cover - compiled by numba
    # simulation/core/benefits.py's exit hazard in one pass, in numpy's order of operations:
    # base = fading[entry] · propensity · decay[months on EB] + floor[entry] by the composition a
    # household came with (entry = 2·(adults − 1) + has children), hazard = base · caseload[arm, r];
    # and the control arm's eligible families on EB (with children now, on EB ≥ eligible_min_months).
    # Then the caseload mechanism's hook as per-element factors (agents/mechanisms/caseload.py:
    # exit_hazard_factors; numpy's np.multiply(..., where=) is the reference): hazard × factors[k],
    # k = reached by the policy path (+1) + a participant on EB in the intervention arm (+2),
    # factors[0] = 1 (x · 1 is x, bit for bit); and, with clip, numpy's clip to [0, 1]
    # (np.clip's comparisons: a NaN stays, −0.0 becomes 0.0)
    #
    # A household off EB gets base = hazard = 0 instead (numpy's path computes a value for it): every
    # reader masks it away. eb_exits leaves only on EB (on_eb & (u < hazard)), the evaluation's
    # expected exits sum only the participants on EB (treated), and a numpy hook's products of 0 are
    # never read either. Off EB in every arm (about three quarters of the window: 18–21 % of the
    # slots are on EB, measured over Öster and city runs), the household's arithmetic is skipped: treated and at_risk need on_eb too, so both are False
    n_arms, n_reps, n_households = base.shape
    for r in range(n_reps):
        for i in range(n_households):
            on_any = False
            for a in range(n_arms):
                on_any = on_any | on_eb[a, r, i]
            if not on_any:
                for a in range(n_arms):
                    base[a, r, i] = 0.0
                    hazard[a, r, i] = 0.0
                treated[r, i] = False
                at_risk[r, i] = False
                continue
            entry = 2 * (np.int64(n_adults[r, i]) - 1) + (n_children[r, i] > 0)
            fading = fading_by_entry[entry] * exit_propensity[r, i]
            floor = floor_by_entry[entry]
            policy_here = policy_on & policy_by_composition[composition[r, i]]
            taking_part = participant[intervention, r, i] & on_eb[intervention, r, i]
            treated[r, i] = taking_part
            for a in range(n_arms):
                on = on_eb[a, r, i]
                months = months_on_eb[a, r, i]
                b = fading * decay_by_month[months] + floor
                reach = policy_here & present[a, r, i] & on & (months >= policy_min_months)
                k = np.int64(reach) + 2 * np.int64(taking_part & (a == intervention))
                h = b * caseload[a, r] * factors[k]
                if clip:
                    h = h if (h > 0.0) | (h != h) else 0.0
                    h = h if (h < 1.0) | (h != h) else 1.0
                base[a, r, i] = b if on else 0.0
                hazard[a, r, i] = h if on else 0.0
            at_risk[r, i] = on_eb[control, r, i] & with_children[composition[r, i]] \
                & (months_on_eb[control, r, i] >= eligible_min_months)


# --- the month's open-care hours (simulation/accounting/costs.py's numpy lines are the reference) --

def _open_care_hours_loop(months_left, intensive, month_index, table, out):  # pragma: no cover - compiled
    # out[a, r, i] = table[intensive, min(month index, last column)] for the households in an
    # episode (months left > 0), else 0; episodes are few, so the branch is predictable
    n_arms, n_reps, n_households = out.shape
    last = table.shape[1] - 1
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_households):
                hours = 0.0
                if months_left[a, r, i] > 0:
                    hours = table[np.int64(intensive[a, r, i]), min(month_index[a, r, i], last)]
                out[a, r, i] = hours


def open_care_hours(months_left: np.ndarray, intensive: np.ndarray, month_index: np.ndarray,
                    table: np.ndarray, shape: tuple) -> np.ndarray:
    """(arms, R, window) therapist hours this month of the households in an open-care episode, compiled."""
    out = np.empty(shape, dtype=np.float64)
    compiled("open_care_hours", _open_care_hours_loop)(months_left, intensive, month_index, table, out)
    return out


# --- agents whose dated event is this month ------------------------------------------------------

def _find_equal_loop(values, target, limited, limit_values, limits, window, rows, columns):  # pragma: no cover
    # the (row, column) pairs of the (R, window) prefix with values == target (and, when limited,
    # limit_values[r, i] < limits[r]), in np.nonzero's order; returns how many. Hits are few: the
    # branch is predictable
    found = 0
    for r in range(values.shape[0]):
        limit = limits[r]
        for i in range(window):
            if values[r, i] == target and (not limited or limit_values[r, i] < limit):
                rows[found] = r
                columns[found] = i
                found += 1
    return found


def find_equal(values: np.ndarray, target: int, window: int, limit_values: np.ndarray | None = None,
               limits: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero((values[:, :window] == target) & (limit_values[:, :window] < limits[:, None]))``
    (the second condition only with ``limit_values``), compiled: one pass, no (R, window) temporaries.
    ``values``/``limit_values`` (R, ≥ window) integer arrays."""
    n = values.shape[0] * window
    rows = np.empty(n, dtype=np.intp)
    columns = np.empty(n, dtype=np.intp)
    limited = limit_values is not None
    if not limited:
        limit_values, limits = values, np.zeros(values.shape[0], dtype=np.int64)
    found = compiled("find_equal", _find_equal_loop)(values, np.int64(target), limited, limit_values,
                                                     np.asarray(limits, dtype=np.int64), np.int64(window),
                                                     rows, columns)
    return rows[:found], columns[:found]


# --- where each row's first value >= a limit is (the children of the households present) --------

def _search_left_loop(values, limits, out):  # pragma: no cover - compiled by numba
    # out[r] = values[r].searchsorted(limits[r], side="left"), numpy's (2.5) binary search step for
    # step (npysort/binsearch.cpp: the branch-free halving, base += (pivot < key) · half, then one
    # last comparison): the same probes, so the same index on any row, sorted or not
    n = values.shape[1]
    for r in range(values.shape[0]):
        key = limits[r]
        if n <= 0:
            out[r] = 0
            continue
        base = 0
        length = n
        while length > 1:
            half = length >> 1
            length -= half
            base += np.int64(values[r, base + half] < key) * half
        base += np.int64(values[r, base] < key)
        out[r] = base


def search_left(values: np.ndarray, limits: np.ndarray, implementation: str = "numpy") -> np.ndarray:
    """(R,) int64: ``values[r].searchsorted(limits[r], side="left")`` for each row of the (R, N) integer
    ``values``; compiled with ``implementation`` "numba" (one call instead of one ``searchsorted`` per
    row: 50 a month on Öster), numpy's otherwise. An index, so the same either way."""
    limits = np.asarray(limits, dtype=np.int64)
    if implementation != "numba" or values.shape[0] == 0:
        return np.array([np.searchsorted(values[r], limits[r], side="left") for r in range(values.shape[0])],
                        dtype=np.int64)
    out = np.empty(values.shape[0], dtype=np.int64)
    compiled("search_left", _search_left_loop)(values, limits, out)
    return out


# --- the households' dated events and arrivals, sparse (agents/households.py's numpy lines are the references) --

def _reach_pension_age_loop(rows, columns, present, on_eb, old_age_support, pensioned, last_exit_route,
                            months_since_exit, no_route, to_support):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.reach_pension_age for the households (rows[k], columns[k]) whose adult turns
    # the age this month (find_equal's pairs, distinct): in the area (present) it is pensioned and its
    # exit route cleared; on EB it leaves for old-age support (months since exit 0); to_support starts
    # False. (Finding them in this loop too was 5× slower than find_equal's own pass, measured.)
    n_arms = present.shape[0]
    for k in range(rows.shape[0]):
        r = rows[k]
        i = columns[k]
        for a in range(n_arms):
            reaching = present[a, r, i]
            leaving = reaching & on_eb[a, r, i]
            on_eb[a, r, i] = on_eb[a, r, i] & (not leaving)
            old_age_support[a, r, i] = old_age_support[a, r, i] | leaving
            pensioned[a, r, i] = pensioned[a, r, i] | reaching
            if reaching:
                last_exit_route[a, r, i] = no_route
            if leaving:
                months_since_exit[a, r, i] = 0
            to_support[a, r, i] = leaving


def _arrive_loop(rows, old, new, present, on_eb, months_on_eb):  # pragma: no cover - compiled by numba
    # HouseholdPopulation.enter: the households [old[r], new[r]) of each row r in rows arrive, present
    # and on EB at duration 0, in every arm
    for k in range(rows.shape[0]):
        r = rows[k]
        for a in range(present.shape[0]):
            for i in range(old[r], new[r]):
                present[a, r, i] = True
                on_eb[a, r, i] = True
                months_on_eb[a, r, i] = 0


# --- counts over the agent axis -----------------------------------------------------------------

def _count_true_loop(rows, out):  # pragma: no cover - compiled by numba
    # out[r] = the number of nonzero bytes of rows[r] (bools viewed as uint8: the compiler vectorises it)
    for r in range(rows.shape[0]):
        count = 0
        for i in range(rows.shape[1]):
            count += rows[r, i]
        out[r] = count


def count_true(mask: np.ndarray, implementation: str = "numpy") -> np.ndarray:
    """``np.count_nonzero(mask, axis=-1)`` of a boolean array: compiled with ``implementation`` "numba"
    (≈ 3× numpy's count on a city batch's (2, 3, 34 000) households, measured), numpy's otherwise;
    an integer count, so the same either way."""
    if implementation != "numba" or mask.dtype != np.bool_ or mask.ndim == 0:
        return np.count_nonzero(mask, axis=-1)
    rows = mask.reshape(math.prod(mask.shape[:-1]), mask.shape[-1])      # a view for prefix views
    out = np.empty(rows.shape[0], dtype=np.intp)
    compiled("count_true", _count_true_loop)(rows.view(np.uint8), out)
    return out.reshape(mask.shape[:-1])


def _count_by_route_loop(leaving, route, n_routes, out):  # pragma: no cover - compiled by numba
    # out[a, r, k] = households of arm a, replication r leaving (leaving[a, r, i]) by route k (route[r, i])
    n_arms, n_reps, n_households = leaving.shape
    for a in range(n_arms):
        for r in range(n_reps):
            for k in range(n_routes):
                out[a, r, k] = 0
            for i in range(n_households):
                k = route[r, i]
                if leaving[a, r, i] and k >= 0 and k < n_routes:
                    out[a, r, k] += 1


def count_by_route(leaving: np.ndarray, route: np.ndarray, n_routes: int) -> np.ndarray:
    """(arms, R, routes): the ``leaving`` (arms, R, N) households by their ``route`` (R, N), compiled
    (numpy's reference: one ``count_nonzero(leaving & (route == k))`` per route)."""
    out = np.empty(leaving.shape[:2] + (n_routes,), dtype=np.int64)
    compiled("count_by_route", _count_by_route_loop)(leaving, route, np.int64(n_routes), out)
    return out


# --- the entry points: each compiles its loop on first use (cached on disk) ---------------------

def _entry(name: str, loop):
    """A function that runs ``loop`` compiled (its arguments as the loop names them)."""
    def run(*args):
        return compiled(name, loop)(*args)
    run.__name__, run.__qualname__ = name, name
    run.__doc__ = f"The compiled :func:`{loop.__name__}` (arguments as it names them)."
    return run


child_month = _entry("child_month", _child_month_loop)
eb_exits = _entry("eb_exits", _eb_exits_loop)
eb_reentries = _entry("eb_reentries", _eb_reentries_loop)
eb_month = _entry("eb_month", _eb_month_loop)
advance_month = _entry("advance_month", _advance_month_loop)
open_care_month = _entry("open_care_month", _open_care_month_loop)
household_cost_counts = _entry("household_cost_counts", _household_cost_counts_loop)
child_cost_counts = _entry("child_cost_counts", _child_cost_counts_loop)
exit_hazard = _entry("exit_hazard", _exit_hazard_loop)
reach_pension_age = _entry("reach_pension_age", _reach_pension_age_loop)
arrive = _entry("arrive", _arrive_loop)
start_open_care = _entry("start_open_care", _start_open_care_loop)
