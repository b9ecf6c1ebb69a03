"""Charts from a run folder's tables (matplotlib, PNG + SVG, labels in Swedish or English)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Okabe–Ito, a colour-blind-safe palette
PALETTE = {"intervention": "#0072B2", "control": "#E69F00", "grant": "#555555", "repaid": "#009E73",
           "saving": "#CC79A7"}

LABELS = {
    "en": {"eb_title": "Households on social assistance: intervention vs control",
           "eb_y": "households on EB", "year": "year", "intervention": "intervention arm",
           "control": "control arm", "band": "P10–P90", "median": "median",
           "note": "{n} paired replications; median and P10–P90 band"},
    "sv": {"eb_title": "Hushåll med ekonomiskt bistånd: insats mot kontroll",
           "eb_y": "hushåll med EB", "year": "år", "intervention": "insatsarm",
           "control": "kontrollarm", "band": "P10–P90", "median": "median",
           "note": "{n} parade replikeringar; median och P10–P90-band"},
}


def save(fig: plt.Figure, folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = folder / f"{stem}.{ext}"
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def eb_caseload(population: pd.DataFrame, language: str, folder: Path) -> list[Path]:
    """EB households per month, both arms, median and P10–P90 over replications."""
    t = LABELS[language]
    frame = population.assign(date=population["year"] + (population["month"] - 1) / 12)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for arm in ("control", "intervention"):
        wide = frame[frame["arm"] == arm].pivot_table(index="date", columns="replication",
                                                      values="households_on_eb")
        q = np.quantile(wide.to_numpy(), [0.1, 0.5, 0.9], axis=1)
        ax.fill_between(wide.index, q[0], q[2], color=PALETTE[arm], alpha=0.2, linewidth=0)
        ax.plot(wide.index, q[1], color=PALETTE[arm], label=f"{t[arm]} ({t['median']}, {t['band']})")
    ax.set_title(t["eb_title"])
    ax.set_xlabel(t["year"])
    ax.set_ylabel(t["eb_y"])
    ax.legend(frameon=False, fontsize=8)
    n = population["replication"].nunique()
    fig.text(0.01, -0.02, t["note"].format(n=n), fontsize=7, color="#444444")
    return save(fig, folder, "eb_caseload")
