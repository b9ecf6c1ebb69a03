"""Every word a reader sees, per language: ``labels/<language>.yaml``, looked up by dotted key.

    text("sv", "charts.eb_title")              -> "Hushåll med ekonomiskt bistånd (EB): …"
    text("en", "charts.prices", year=2017)     -> "2017 prices"
    names("en", "payers")                      -> {"eb_unit": "EB unit", …}

Both files hold the same keys (tests/present/test_labels.py checks it); a key missing in one
raises :class:`LabelError` naming the key and the file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Mapping

import yaml

from simulation.present.yaml_read import SAFE_LOADER

LABEL_DIR = Path(__file__).with_name("labels")
LANGUAGES = ("sv", "en")


class LabelError(LookupError):
    """A label key (or a whole language) that the label files do not have."""


def path_of(language: str) -> Path:
    return LABEL_DIR / f"{language}.yaml"


@functools.cache
def _load(language: str) -> Mapping[str, Any]:
    path = path_of(language)
    if language not in LANGUAGES or not path.exists():
        raise LabelError(f"no labels for language {language!r} (have: {', '.join(LANGUAGES)}; "
                         f"expected {path})")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}


def entry(language: str, key: str) -> Any:
    """The text or table at dotted ``key`` ("charts.eb_title", "payers") in ``language``."""
    node: Any = _load(language)
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise LabelError(f"label {key!r} is missing in {path_of(language)}")
        node = node[part]
    return node


def text(language: str, key: str, **kwargs: Any) -> str:
    """The text at ``key``, with ``{placeholders}`` filled from ``kwargs``."""
    value = entry(language, key)
    if not isinstance(value, str):
        raise LabelError(f"label {key!r} in {path_of(language)} is a table, not a text")
    return value.format(**kwargs) if kwargs else value


def names(language: str, key: str) -> Mapping[str, str]:
    """The table at ``key`` (e.g. payer or swept-key names), name -> text."""
    value = entry(language, key)
    if not isinstance(value, Mapping):
        raise LabelError(f"label {key!r} in {path_of(language)} is a text, not a table")
    return value


def paths(language: str) -> dict[tuple[str, ...], str]:
    """Every text of a language's file by its path of keys (a path, not a dotted key: the
    names of swept keys such as ``intervention.effect_scale`` hold dots themselves)."""
    out: dict[tuple[str, ...], str] = {}

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        for k, v in node.items():
            if isinstance(v, Mapping):
                walk(v, prefix + (str(k),))
            else:
                out[prefix + (str(k),)] = v
    walk(_load(language), ())
    return out
