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

import os

import numpy as np

KERNELS_ENV = "SIFSIM_KERNELS"
CHOICES = ("auto", "numba", "numpy")
#: agent-months (arms × agents × months of a batch) from which ``auto`` compiles: a compiled pass
#: saves about 20 ns per child and month (measured on the default scenario), numba costs about
#: 0.6 s per process to start, so below ≈ 3·10⁷ the numpy references are faster
AUTO_MIN_WORK = 30_000_000


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


def _evolve_factors_loop(n_arms, n_reps, n_agents, n_risk, n_protective, risk, protective,
                         assigned_protective, onset_per_month, remission_per_month, protective_loss_per_month, u_risk,
                         u_protective, active):  # pragma: no cover
    # compiled by numba (coverage does not see it); the same comparisons in float32 as the reference.
    # The arrays may be the whole (C-contiguous) arrays the model's views are prefixes of: only the
    # first n_arms × n_reps × n_agents agents and the first n_risk/n_protective columns are used.
    # Branch-free: the draws decide at random, so a branch per factor would be mispredicted half
    # the time; every factor is rewritten with (state != flip) and (state and not lost).
    for a in range(n_arms):
        for r in range(n_reps):
            for i in range(n_agents):
                on = active[a, r, i]
                onset = onset_per_month[a, r, i]
                remission = remission_per_month[a, r, i]
                for k in range(n_risk):
                    present = risk[a, r, i, k]
                    rate = remission if present else onset
                    risk[a, r, i, k] = present != (on & (u_risk[r, i, k] < rate))
                held = assigned_protective[a, r, i]
                for k in range(n_protective):
                    lost = on & (k != held) & (u_protective[r, i, k] < protective_loss_per_month)
                    protective[a, r, i, k] = protective[a, r, i, k] & (not lost)


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


def _family_max_loop(values, household, limits, out):  # pragma: no cover - compiled by numba
    n_arms, n_reps, n_children = values.shape
    for r in range(n_reps):
        limit = limits[r]
        for i in range(n_children):
            h = household[r, i]
            if h < 0 or h >= limit:
                continue
            for a in range(n_arms):
                v = values[a, r, i]
                if v > out[a, r, h]:
                    out[a, r, h] = v


def family_max(values: np.ndarray, household: np.ndarray, families: list[np.ndarray],
               first_child: list[np.ndarray], limits: np.ndarray, n_households: int,
               implementation: str = "numpy") -> np.ndarray:
    """:func:`family_max_numpy`, or its compiled loop when ``implementation`` is "numba"."""
    if implementation != "numba" or values.size == 0:
        return family_max_numpy(values, household, families, first_child, limits, n_households)
    out = np.zeros(values.shape[:-1] + (n_households,), dtype=float)
    _compiled("family_max", _family_max_loop)(np.ascontiguousarray(values), household,
                                              np.asarray(limits, dtype=np.int64), out)
    return out


_COMPILED: dict[str, object] = {}


def _whole(view: np.ndarray) -> np.ndarray:
    """The C-contiguous array ``view`` is a prefix of (same start, same strides), else ``view``.

    The model's attributes are views of the first ``window`` agents of larger arrays; a loop
    over a contiguous array is faster than over a strided view, and compiles once.
    """
    base = view.base
    if (isinstance(base, np.ndarray) and base.ndim == view.ndim and base.flags.c_contiguous
            and base.strides == view.strides and base.dtype == view.dtype
            and base.__array_interface__["data"][0] == view.__array_interface__["data"][0]):
        return base
    return view


def _compiled(name: str, loop):
    if name not in _COMPILED:
        import numba
        _COMPILED[name] = numba.njit(cache=True, nogil=True)(loop)
    return _COMPILED[name]


def evolve_factors(risk, protective, assigned_protective, onset_per_month, remission_per_month,
                   protective_loss_per_month, u_risk, u_protective, active, implementation: str = "numpy") -> None:
    """:func:`evolve_factors_numpy`, or its compiled loop when ``implementation`` is "numba"."""
    loss = np.float32(protective_loss_per_month)     # compared in float32, as numpy does with a scalar
    args = (risk, protective, assigned_protective, onset_per_month.astype(np.float32, copy=False),
            remission_per_month.astype(np.float32, copy=False), loss, u_risk, u_protective, active)
    if implementation != "numba" or risk.size == 0:
        evolve_factors_numpy(*args)
    else:
        n_arms, n_reps, n_agents, n_risk = risk.shape
        whole = (_whole(a) if isinstance(a, np.ndarray) else a for a in args)
        _compiled("evolve_factors", _evolve_factors_loop)(n_arms, n_reps, n_agents, n_risk,
                                                          protective.shape[-1], *whole)
