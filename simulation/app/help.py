"""``sifsim --help`` and ``sifsim --version``: answered before Hydra starts.

The help lists every subcommand (from the registry in :mod:`simulation.app.cli`, so a new
one appears by registering it), one line per top-level key of ``conf/config.yaml`` (its
meaning and unit from the parameter records of :mod:`scenarios.provenance`, and its
default) and one line per config group with its options. It is not a dump of the
resolved config: ``sifsim --cfg job`` prints that, ``sifsim --hydra-help`` Hydra's own help.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from simulation.app.config import CONF_DIR

#: what each config group of conf/config.yaml's defaults list chooses (the group's files carry
#: the parameter records of its keys; a group itself has no value to comment on)
GROUP_MEANINGS = {
    "municipality": "the municipality: its fund, units, committees and reorganisations",
    "intervention": "the funded intervention: participants, mechanisms, costs, borrower",
    "repayment": "the repayment rule(s) evaluated on the same simulated arms",
    "population": "the households on benefit (ekonomiskt bistånd) and their children",
    "economy": "prices, costs per case and who pays them",
    "experiment": "a named study (+experiment=NAME): overrides and sweeps of its own",
}


def version_text() -> str:
    """``sifsim 0.2.0 (git 1a2b3c4d5e6f)``; ``git unknown`` outside a git checkout."""
    from simulation import __version__
    from simulation.app.outputs import git_revision
    rev = git_revision()
    return f"sifsim {__version__} (git {rev[:12] if rev else 'unknown'})"


def _group_options(group: str, dirs: Sequence[Path]) -> list[str]:
    return sorted({p.stem for d in dirs for p in (Path(d) / group).glob("*.yaml")})


def top_level_lines(conf_dir: str | Path = CONF_DIR, extra_dirs: Sequence[str | Path] = ()) -> list[tuple[str, str]]:
    """(key, one-line description) for every top-level key of the schema, in the schema's order."""
    from scenarios import provenance
    from scenarios.schema import SifsimConfig
    conf = Path(conf_dir)
    dirs = [conf, *map(Path, extra_dirs)]
    records = {r.key: r for r in provenance.parse_file(conf / "config.yaml", conf).records}
    out: list[tuple[str, str]] = []
    for f in dataclasses.fields(SifsimConfig):
        rec = records.get(f.name)
        if f.name in GROUP_MEANINGS:
            options = _group_options(f.name, dirs)
            out.append((f.name, f"{GROUP_MEANINGS[f.name]}; options: {', '.join(options)}"))
        elif rec is not None:
            value = "null" if rec.value is None else rec.value
            value = "{}" if value == {} else value
            out.append((f.name, f"{rec.meaning} [{rec.unit}] (default {value})"))
        else:
            out.append((f.name, "(no description in conf/config.yaml)"))
    if (conf / "experiment").is_dir():
        out.append(("+experiment", f"{GROUP_MEANINGS['experiment']}; options: "
                                   f"{', '.join(_group_options('experiment', dirs))}"))
    return out


def help_text(commands: Mapping[str, str], conf_dir: str | Path = CONF_DIR,
              extra_dirs: Sequence[str | Path] = ()) -> str:
    """The whole ``sifsim --help`` (``commands``: subcommand -> one-line summary)."""
    keys = top_level_lines(conf_dir, extra_dirs)
    width = max(len(k) for k, _ in keys) + 2
    cwidth = max([len(c) for c in commands] + [8]) + 2
    lines = [
        version_text() + " — social investment funds as an agent-based simulation",
        "",
        "Usage:",
        "  sifsim [key=value ...]              run (a run folder under results/runs/)",
        "  sifsim -m key=a,b ...               sweep: one job per combination (results/sweeps/)",
        "  sifsim +experiment=NAME             a named study",
        "  sifsim SUBCOMMAND [args ...]        see below; 'sifsim SUBCOMMAND --help' for its options",
        "",
        "Subcommands:",
        *[f"  {name:<{cwidth}}{summary}" for name, summary in commands.items()],
        "",
        "Top-level keys (key=value; a group: group=option, one of its values: group.key=value):",
        *[f"  {k:<{width}}{text}" for k, text in keys],
        "",
        "Flags:",
        "  --version                           package version and git revision",
        "  --config-dir DIR, -cd DIR           also read configs from DIR (your own municipality, ...)",
        "  --config-name NAME, -cn NAME        another primary config than config.yaml",
        "  --multirun, -m                      sweep",
        "  --cfg job                           print the resolved config and stop",
        "  --hydra-help                        Hydra's own help",
        "",
        "Every key's meaning, unit, source and confidence: the comments in conf/ and docs/sources.md.",
    ]
    return "\n".join(lines)
