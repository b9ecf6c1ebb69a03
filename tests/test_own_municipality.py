"""README "Your own municipality", step by step: the files and commands are read from the README itself.

The walkthrough builds Örebro from scratch under ``--config-dir`` (a ``jobbcenter`` unit under an
``arbetsmarknadsnamnd`` that borrows), validates, runs and reports it; then the money the new unit
spends and receives is checked in the ledger, to the krona.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

README = Path(__file__).resolve().parents[1] / "README.md"


def walkthrough() -> tuple[dict[str, str], list[str]]:
    """({relative path: text} of the README's ``# file:`` blocks, [sifsim commands]) of the section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your own municipality", 1)[1].split("\n## ", 1)[0]
    files, commands = {}, []
    for lang, body in re.findall(r"```(\w+)\n(.*?)```", section, re.S):
        if lang == "yaml":
            first, _, rest = body.partition("\n")
            assert first.startswith("# file: "), first
            files[first[len("# file: "):].strip()] = rest
        elif lang == "sh":
            commands += [line for line in body.splitlines() if line.startswith("sifsim ")]
    return files, commands


def test_the_readme_walkthrough_has_its_files_and_commands():
    files, commands = walkthrough()
    assert set(files) == {"my_conf/municipality/orebro.yaml", "my_conf/intervention/jobbspar_orebro.yaml"}
    assert [c.split()[1] for c in commands] == ["validate", "--config-dir", "report"]


@pytest.fixture(scope="module")
def orebro(tmp_path_factory) -> Path:
    """A fresh working directory where the README's steps were done, in order."""
    work = tmp_path_factory.mktemp("orebro")
    files, commands = walkthrough()
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text, encoding="utf-8")
    for command in commands:
        argv = shlex.split(command)
        proc = subprocess.run([sys.executable, "-m", "simulation", *argv[1:]], cwd=work, text=True,
                              capture_output=True, env=dict(os.environ), timeout=1200)
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        if argv[1] == "validate":
            assert proc.stdout.splitlines()[-1] == "1 job checked: all OK"
    return work


def test_the_walkthrough_runs_and_reports_the_new_unit(orebro):
    run = orebro / "results" / "runs" / "orebro"
    config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    assert config["municipality"]["name"] == "orebro"
    assert [c["name"] for c in config["municipality"]["committees"]][-1] == "arbetsmarknadsnamnd"
    assert config["intervention"]["cost_sek_by_year"] == {"2024": 1500000.0, "2025": 2000000.0, "2026": 2000000.0}
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "Jobbspår Örebro" in report, "the report is the user's intervention, drawn in English"
    assert '<html lang="en">' in report
    ledger = pd.read_csv(run / "ledger.csv")
    assert "jobbcenter" in set(ledger["payer"]), "the new unit is a payer of its own"
    # the report lists the user's committees and units (issue 14: units and committees are data)
    organisation = report[report.index('<section id="organisation">'):]
    organisation = organisation[:organisation.index("</section>")]
    assert "jobbcenter" in organisation and "arbetsmarknadsnämnden (borrows from the fund)" in organisation


def test_the_new_units_money_is_booked_and_conserved(orebro):
    ledger = pd.read_parquet(orebro / "results" / "runs" / "orebro" / "ledger.parquet")
    total = 1_500_000 + 2_000_000 + 2_000_000
    arm = ledger[ledger["arm"] == "intervention"]
    for _, rep in arm.groupby("replication"):
        posts = rep[rep["category"] == "intervention_posts"].groupby("payer", observed=True)["amount_sek"].sum()
        # the cost lines' weights 2 : 1 spread the project's cost over jobbcenter and the EB unit
        assert abs(posts.sum() - total) < 1.0
        assert abs(posts["jobbcenter"] - total * 2 / 3) < 1.0
        assert abs(posts["eb_unit"] - total / 3) < 1.0
        grant = rep[rep["category"] == "fund_grant"].groupby("payer", observed=True)["amount_sek"].sum()
        assert abs(grant.sum()) < 1.0, "the grant is a transfer: KS pays what the units receive"
        assert abs(grant["ks"] - total) < 1.0 and abs(grant["jobbcenter"] + total * 2 / 3) < 1.0
    # the control arm pays nothing for the project
    control = ledger[ledger["arm"] == "control"]
    assert control[control["category"].isin(["intervention_posts", "fund_grant"])]["amount_sek"].abs().sum() == 0
