"""Calendar years as mapping keys, written the natural way: ``cost_sek_by_year: {2025: 100}``.

YAML reads an unquoted ``2025`` as an int, and OmegaConf refuses an int key in a
``dict[str, ...]`` of the schema ("Key 2025 (int) is incompatible with (str)"), while the same key
from the command line (``intervention.cost_sek_by_year.2025=100``) is a str. Every mapping of the
schema has str keys, so :func:`install` makes the YAML loader that OmegaConf (and with it Hydra)
uses read an int key as its decimal text: ``{2025: 100}`` and ``{"2025": 100}`` are the same
config; and a dict on the command line (``'intervention.cost_sek_by_year={2025:100}'``), which
Hydra's override grammar would give an int key, gets the str key too. Writing both in one mapping is a duplicate key, named by file and line like any other.
"""

from __future__ import annotations

from typing import Any


def _str_int_keys(loader_class: type) -> type:
    import yaml

    class YearKeysLoader(loader_class):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            mapping = super().construct_mapping(node, deep=deep)
            if not any(type(k) is int for k in mapping):
                return mapping
            out: dict[Any, Any] = {}
            for key, value in mapping.items():
                text = str(key) if type(key) is int else key
                if text in out:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {text} (written once as a number, once as text)")
                out[text] = value
            return out

    return YearKeysLoader


def install() -> None:
    """Make OmegaConf's YAML loader read int mapping keys as str (once per process)."""
    import omegaconf._utils as utils
    if getattr(utils.get_yaml_loader, "sifsim_year_keys", False):
        return
    original = utils.get_yaml_loader

    def get_yaml_loader() -> Any:
        return _str_int_keys(original())

    get_yaml_loader.sifsim_year_keys = True  # type: ignore[attr-defined]
    utils.get_yaml_loader = get_yaml_loader

    from hydra.core.override_parser.overrides_visitor import HydraOverrideVisitor
    original_key = HydraOverrideVisitor.visitDictKey

    def visit_dict_key(self: Any, ctx: Any) -> Any:
        key = original_key(self, ctx)
        return str(key) if type(key) is int else key

    HydraOverrideVisitor.visitDictKey = visit_dict_key  # type: ignore[method-assign]
