"""What stepping the intervention arm only where it differs would save in the children's month: a
measurement of docs/next-engine.md's second lever on its largest loop, ``kernels.child_month``. Not
a test; run from the repository's root (a few seconds):

    .venv/bin/python tests/benchmarks/arm_shortcut.py [--month N] [OVERRIDE ...]

e.g. ``population=city population.households=10000 intervention=hela_familjen_oster
intervention.participants_households=500 horizon_years=20 replications=2``; without overrides the
default scenario with 50 replications (one worker's batch of the default command).

It runs the model serially up to the children's month ``N`` (150 unless told), keeps that month's
arguments of ``child_month``, and times three loops on copies of them (minimum and median of 21
calls each, alternated):

- ``original``: the model's loop (both arms computed for every child);
- ``copy``: the control arm first, then for a child that is the same in both arms (every state array
  of the child equal in the two arms, its household's state byte equal, and no hook of the
  intervention reaching it: not in intensive treatment, not holding a place whose onset a mechanism
  changes) the control arm's new state copied to the intervention arm, the others computed; its
  result is checked to be the original's to the bit (every array, the new placements as a set);
- ``skip``: as ``copy`` but the same children not written at all (a layout that stores the
  intervention arm only where it differs; its intervention arm is then not the model's: the lower
  bound of what the shortcut can cost).

The "same" mask is computed exactly from the state before the month, outside the timing: what a
kept per-child flag would hold. The two variants are made from the model's loop's own source (a
few lines inserted), so they follow it when it changes.
"""

from __future__ import annotations

import inspect
import importlib.util
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import compose_config  # noqa: E402

STATE = ("present", "adult", "protective", "assigned_protective", "risk", "conduct_months", "placement",
         "placement_months_left", "months_since_return", "ever_placed")
WRITTEN = ("present", "protective", "risk", "conduct_months", "placement", "placement_months_left",
           "months_since_return", "family_risk", "placements_control", "minor_months_control")

# the lines the variants insert into kernels._child_month_loop (control arm first; the shortcut at the
# top of a child's iteration; the control arm's outcome kept per child: 0 on, 1 placed, 2 not on)
SHORTCUT = """            for i in range(n_children):
                if a != control and same[r, i]:
                    if mode == 1:
                        c = control
                        present[a, r, i] = present[c, r, i]
                        months_since_return[a, r, i] = months_since_return[c, r, i]
                        placement[a, r, i] = placement[c, r, i]
                        placement_months_left[a, r, i] = placement_months_left[c, r, i]
                        w = risk[c, r, i, 0]
                        risk[a, r, i, 0] = w
                        protective[a, r, i, 0] = protective[c, r, i, 0]
                        conduct_months[a, r, i] = conduct_months[c, r, i]
                        if control_outcome[r, i] == 1:
                            new_arm[n_new] = a
                            new_rep[n_new] = r
                            new_child[n_new] = i
                            n_new += 1
                        if control_outcome[r, i] != 2:
                            h = household[r, i]
                            count = np.int64(((np.uint64(w) * np.uint64(0x01010101)) >> np.uint64(24))
                                             & np.uint64(0xFF))
                            current = family_risk[a, r, h]
                            family_risk[a, r, h] = np.int8(count) if count > current else current
                    continue
                h = household[r, i]
"""


def variant_source(loop) -> str:
    """``loop``'s source with the shortcut inserted (raises if the loop's lines moved)."""
    src = inspect.getsource(loop)
    edits = [
        ("def _child_month_loop(", "def variant(same, control_outcome, mode, "),
        ("    for a in range(n_arms):\n        hooked = a == intervention\n",
         "    for a_index in range(n_arms):\n        a = control if a_index == 0 else intervention\n"
         "        hooked = a == intervention\n"),
        ("            for i in range(n_children):\n                h = household[r, i]\n", SHORTCUT),
        ("                if not on:\n",
         "                if a == control:\n                    control_outcome[r, i] = 0 if on else 2\n"
         "                if not on:\n"),
        ("                x = (placement[a, r, i] == 0) & (u_place[r, i] < hazard)\n",
         "                x = (placement[a, r, i] == 0) & (u_place[r, i] < hazard)\n"
         "                if a == control and x:\n                    control_outcome[r, i] = 1\n"),
    ]
    for old, new in edits:
        if src.count(old) != 1:
            raise SystemExit(f"kernels._child_month_loop changed: {old.strip()[:60]!r} not found once")
        src = src.replace(old, new)
    return "import numpy as np\n\n" + src


def capture(overrides: list[str], month: int) -> tuple:
    """child_month's arguments (copies) at its ``month``-th call of a serial run."""
    from agents import kernels
    from simulation.core import runner
    config = compose_config(["workers=1", "charts=false", "progress=false", *overrides])
    original, calls, kept = kernels.child_month, [0], []

    def keep(*args):
        calls[0] += 1
        if calls[0] == month:
            kept.append(tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args))
            raise StopIteration
        return original(*args)
    kernels.child_month = keep
    try:
        runner.run(config, progress=False)
    except StopIteration:
        pass
    finally:
        kernels.child_month = original
    if not kept:
        raise SystemExit(f"the run has fewer than {month} children's months")
    return kept[0]


def same_mask(args: dict) -> np.ndarray:
    """(R, window): the child's state equal in both arms, its household's byte too, no hook reaching it."""
    intervention, n = int(args["intervention"]), int(args["n_children"])
    household = args["household"][:, :n]
    same = np.ones(household.shape, dtype=bool)
    for key in STATE:
        values = args[key][:, :, :n]
        equal = values[0] == values[1]
        same &= equal.all(axis=-1) if equal.ndim == 3 else equal
    flags = args["hh_flags"]
    index = np.minimum(household, flags.shape[2] - 1)
    here = household < args["n_households"][:, None]
    in_arm = [np.take_along_axis(flags[a], index, axis=1) for a in (0, 1)]
    same &= ~here | (in_arm[0] == in_arm[1])
    same &= ~(((in_arm[intervention] >> 2) & 1).astype(bool) & here)      # in intensive treatment
    for factor in args["onset_held_factor"]:
        same &= args["assigned_protective"][intervention, :, :n] != factor
    return same


def main(argv: list[str]) -> None:
    import numba
    from agents import kernels
    month = 150
    if argv[:1] == ["--month"]:
        month, argv = int(argv[1]), argv[2:]
    overrides = argv or ["replications=50"]
    captured = capture(overrides, month)
    names = list(inspect.signature(kernels._child_month_loop).parameters)
    args = dict(zip(names, captured))
    same = same_mask(args)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "child_month_variant.py"
        path.write_text(variant_source(kernels._child_month_loop))
        spec = importlib.util.spec_from_file_location("child_month_variant", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        variant = numba.njit(nogil=True)(module.variant)
    original = numba.njit(nogil=True)(kernels._child_month_loop)

    def fresh():
        return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in captured)

    def run(mode: int):
        state = fresh()
        t = time.perf_counter()
        if mode == 0:
            n_new = original(*state)
        else:
            n_new = variant(same, np.zeros(same.shape, dtype=np.uint8), mode, *state)
        return time.perf_counter() - t, dict(zip(names, state)), n_new

    _, reference, n_ref = run(0)
    _, copied, n_copy = run(1)
    run(2)
    for key in WRITTEN:
        if not np.array_equal(reference[key], copied[key]):
            raise SystemExit(f"copy variant differs from the model's loop in {key}")

    def placements(state, n_new):
        return sorted(zip(state["new_arm"][:n_new], state["new_rep"][:n_new], state["new_child"][:n_new]))
    if placements(reference, n_ref) != placements(copied, n_copy):
        raise SystemExit("copy variant places other children than the model's loop")
    times: dict[str, list[float]] = {"original": [], "copy": [], "skip": []}
    for _ in range(21):
        for mode, name in enumerate(times):
            times[name].append(run(mode)[0])
    reps, n = same.shape
    print(f"{' '.join(overrides)}; children's month {month}: {reps} replications × {n} child slots, "
          f"{same.mean():.1%} of them the same in both arms; the copy variant's month is the model's to the bit "
          f"({n_ref} new placements)")
    base = min(times["original"])
    for name, values in times.items():
        print(f"  {name:9s} min {min(values) * 1e3:7.3f} ms  median {np.median(values) * 1e3:7.3f} ms  "
              f"({min(values) / base:.2f} of the original's minimum)")


if __name__ == "__main__":
    main(sys.argv[1:])
