"""Provenance of every default in ``conf/``: one parsed record per leaf key.

Every leaf key of a conf file carries a comment in one grammar, readable by a strategist in the
YAML and by this parser without guessing::

    hvb_sek_per_day: 3500  # HVB (residential care) cost | unit: SEK per child-day | source: seed 004; pub: Socialstyrelsen cost analysis | confidence: M–H | note: range 1 100–8 400

* the first field is the **meaning** (free text, no ``|``);
* then ``name: text`` fields separated by `` | ``, each at most once, in any order:
  ``unit`` (required; ``share``, ``SEK per household-month``, ``count``, ``flag``, ``name`` …),
  ``source`` (required; its first word is the **source label**: ``seed``, ``pub``,
  ``derived``, ``reading``, ``assumption`` or ``setting`` — see
  :data:`scenarios.vocabulary.SOURCE_LABELS` — and the whole field is the source text),
  ``confidence`` (required; ``H``, ``M``, ``L`` or a range ``L–M`` / ``M–H``; a hyphen is
  read as an en dash) and ``note`` (optional).

A **leaf key** is a mapping key whose value is written on its own line: a scalar, a flow
collection (``{…}`` / ``[…]``) or a block sequence (``- …`` items below the key, covered by the
key's comment). A key whose value is an indented block mapping is a section; its comment, if
any, is free text. Full-line comments at the top of a file are its header (free text); full-line
comments further down are free notes for the reader and carry no record.

Exempt from the grammar: the files under ``conf/hydra/`` (launcher presets: Hydra's and
submitit's keys, not model parameters) and, in any file, the ``defaults`` list and the ``hydra``
node (composition and sweep machinery).

The records are what the report's assumptions table shows (``simulation.present.report``) and
what ``tests/test_provenance.py`` checks for every conf file.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from scenarios.vocabulary import CONFIDENCE_LEVELS, SOURCE_LABELS

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
EXEMPT_DIRS = ("hydra",)               # conf/hydra/**: launcher presets
EXEMPT_KEYS = ("defaults", "hydra")    # top-level nodes of any file: composition machinery
FIELDS = ("unit", "source", "confidence", "note")
REQUIRED = ("unit", "source", "confidence")
SEPARATOR = " | "

KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w.]*|\"[^\"]+\"|'[^']+')\s*:(?:\s+(?P<rest>.*))?$")
CONFIDENCE = re.compile(r"^(?P<lo>[HML])(?:\s*[–-]\s*(?P<hi>[HML]))?$")


class GrammarError(ValueError):
    """A comment that does not follow the grammar (the message says which part)."""


@dataclass(frozen=True)
class ParameterRecord:
    """One default of one conf file: its value and where it comes from."""

    key: str                 # dotted path inside the file's package, e.g. "caseload.enabled"
    value: Any               # the value as the file writes it (YAML)
    meaning: str
    unit: str
    source_label: str        # one of vocabulary.SOURCE_LABELS
    source_text: str         # the whole source field, e.g. "seed 004 (KOLL, closed placements 2016–18)"
    confidence: str          # "H", "M", "L", "L–M" or "M–H"
    note: str = ""
    file: str = ""           # path relative to conf/
    line: int = 0

    def describe(self) -> str:
        """One line for people: meaning [unit] — source; note."""
        text = f"{self.meaning} [{self.unit}] — {self.source_text}"
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True)
class ConfFile:
    """A parsed conf file: its header, its records and what did not parse."""

    path: Path
    header: str
    records: tuple[ParameterRecord, ...]
    problems: tuple[str, ...] = ()
    sections: Mapping[str, str] = field(default_factory=dict)   # section key -> its free comment

    def record(self, key: str) -> ParameterRecord:
        for rec in self.records:
            if rec.key == key:
                return rec
        raise KeyError(f"{self.path.name}: no record for {key!r}")


# --- the comment grammar ---------------------------------------------------------------------------

def parse_comment(text: str) -> dict[str, str]:
    """``meaning | unit: … | source: … | confidence: …`` -> its fields, checked.

    Returns ``meaning, unit, source, source_label, confidence, note``; raises
    :class:`GrammarError` naming the first thing wrong.
    """
    parts = [p.strip() for p in text.split("|")]
    meaning, rest = parts[0], parts[1:]
    if not meaning:
        raise GrammarError("no meaning (the text before the first ' | ')")
    if re.match(rf"^({'|'.join(FIELDS)})\s*:", meaning):
        raise GrammarError(f"no meaning: the comment starts with the field {meaning.split(':')[0]!r}")
    out = {"meaning": meaning, "note": ""}
    for part in rest:
        name, sep, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or name not in FIELDS:
            raise GrammarError(f"{part!r} is not a field; fields are {', '.join(FIELDS)} ('name: text')")
        if name in out and name != "note" or (name == "note" and out["note"]):
            raise GrammarError(f"field {name!r} given twice")
        if not value:
            raise GrammarError(f"field {name!r} is empty")
        out[name] = value
    missing = [f for f in REQUIRED if f not in out]
    if missing:
        raise GrammarError(f"missing {', '.join(missing)}")
    label = re.split(r"[\s:;,(]", out["source"], maxsplit=1)[0].lower()
    if label not in SOURCE_LABELS:
        raise GrammarError(f"source {out['source']!r} does not start with a label; "
                           f"labels are {', '.join(SOURCE_LABELS)}")
    out["source_label"] = label
    out["confidence"] = normalise_confidence(out["confidence"])
    return out


def normalise_confidence(text: str) -> str:
    """``H``/``M``/``L`` or an increasing range ``L–M``, ``M–H``, ``L–H`` (hyphen -> en dash)."""
    match = CONFIDENCE.match(text.strip())
    if not match:
        raise GrammarError(f"confidence {text!r}: allowed are H, M, L or a range such as L–M")
    lo, hi = match["lo"], match["hi"]
    if hi is None:
        return lo
    if CONFIDENCE_LEVELS.index(lo) >= CONFIDENCE_LEVELS.index(hi):
        raise GrammarError(f"confidence {text!r}: a range goes from lower to higher (L–M, M–H)")
    return f"{lo}–{hi}"


def split_comment(rest: str) -> tuple[str, str]:
    """``value  # comment`` -> (value, comment); a ``#`` inside quotes is part of the value."""
    quote = None
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or rest[i - 1].isspace()):
            return rest[:i].strip(), rest[i + 1:].strip()
    return rest.strip(), ""


# --- a file ----------------------------------------------------------------------------------------

def _lookup(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _next_content(lines: list[str], i: int) -> str | None:
    for line in lines[i + 1:]:
        if line.strip() and not line.strip().startswith("#"):
            return line
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def parse_file(path: Path, conf_dir: Path = CONF_DIR) -> ConfFile:
    """Every leaf key of ``path`` as a :class:`ParameterRecord`; problems named by file, line and key."""
    path = Path(path)
    try:
        rel = str(path.resolve().relative_to(Path(conf_dir).resolve()))
    except ValueError:
        rel = path.name
    lines = _lines(path)
    data = yaml.safe_load("\n".join(lines)) or {}
    header_lines: list[str] = []
    records: list[ParameterRecord] = []
    problems: list[str] = []
    sections: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    in_header = True
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            if in_header and not stripped.startswith("# @package"):
                header_lines.append(stripped.lstrip("#").strip())
            continue
        if not stripped:
            continue
        in_header = False
        if stripped.startswith("- "):
            continue  # a block-sequence item: covered by its parent key's record
        match = KEY_LINE.match(line)
        if not match:
            problems.append(f"{rel}:{i + 1}: cannot read this line as 'key: value'")
            continue
        indent = len(match["indent"])
        key = match["key"].strip("\"'")
        value_text, comment = split_comment(match["rest"] or "")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        keypath = tuple(k for _, k in stack) + (key,)
        dotted = ".".join(keypath)
        following = _next_content(lines, i)
        is_section = (not value_text and following is not None and _indent(following) > indent
                      and not following.strip().startswith("- "))
        if is_section:
            stack.append((indent, key))
            if comment:
                sections[dotted] = comment
            continue
        if keypath[0] in EXEMPT_KEYS:
            continue
        if not comment:
            problems.append(f"{rel}:{i + 1}: {dotted}: no comment; every leaf key needs "
                            "'meaning | unit: … | source: … | confidence: …'")
            continue
        try:
            fields = parse_comment(comment)
        except GrammarError as exc:
            problems.append(f"{rel}:{i + 1}: {dotted}: {exc}")
            continue
        records.append(ParameterRecord(
            key=dotted, value=_lookup(data, keypath), meaning=fields["meaning"], unit=fields["unit"],
            source_label=fields["source_label"], source_text=fields["source"],
            confidence=fields["confidence"], note=fields["note"], file=rel, line=i + 1))
    return ConfFile(path=path, header=" ".join(h for h in header_lines if h), records=tuple(records),
                    problems=tuple(problems), sections=sections)


def _is_exempt(path: Path, conf_dir: Path) -> bool:
    rel = path.resolve().relative_to(Path(conf_dir).resolve())
    return rel.parts[0] in EXEMPT_DIRS


def conf_paths(conf_dir: Path = CONF_DIR) -> list[Path]:
    """Every conf file the grammar covers (all of ``conf/`` but :data:`EXEMPT_DIRS`)."""
    return [p for p in sorted(Path(conf_dir).rglob("*.yaml")) if not _is_exempt(p, conf_dir)]


def all_files(conf_dir: Path = CONF_DIR) -> Iterator[ConfFile]:
    for path in conf_paths(conf_dir):
        yield parse_file(path, conf_dir)


def problems(conf_dir: Path = CONF_DIR) -> list[str]:
    """Every grammar problem in ``conf/``, one line each naming file, line and key."""
    return [p for parsed in all_files(conf_dir) for p in parsed.problems]


# --- a file with what it inherits -------------------------------------------------------------------

def _included(path: Path, conf_dir: Path) -> list[tuple[Path, str]]:
    """(file, package prefix) of each entry of ``path``'s defaults list that is a conf file.

    Understood: ``- other`` (same group) and ``- /dir/name@pkg`` (``_here_`` = no prefix).
    Group selections (``- override /x: y``) are the run's choices, not this file's defaults.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for entry in data.get("defaults") or []:
        if not isinstance(entry, str) or entry == "_self_":
            continue
        name, _, package = entry.partition("@")
        target = (Path(conf_dir) / name.lstrip("/")) if name.startswith("/") else path.parent / name
        target = target.with_suffix(".yaml")
        if target.exists():
            out.append((target, "" if package in ("", "_here_") else package))
    return out


def resolved(path: Path, conf_dir: Path = CONF_DIR) -> ConfFile:
    """``path``'s records with those of the files its defaults list pulls in (theirs first, its own
    winning), keys placed at the package they are merged into; header and problems of ``path``."""
    own = parse_file(path, conf_dir)
    merged: dict[str, ParameterRecord] = {}
    for target, package in _included(Path(path), conf_dir):
        for rec in resolved(target, conf_dir).records:
            key = f"{package}.{rec.key}" if package else rec.key
            merged[key] = dataclasses.replace(rec, key=key)
    for rec in own.records:
        merged[rec.key] = rec
    return ConfFile(path=own.path, header=own.header, records=tuple(merged.values()),
                    problems=own.problems, sections=own.sections)
