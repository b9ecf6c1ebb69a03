"""YAML read with libyaml's parser where PyYAML has it (the same values as ``yaml.safe_load``, about
five times faster: a sweep's report reads every job's config, each chart worker its run's), else
the pure-Python one. Only PyYAML: importable anywhere without pandas or matplotlib."""

from __future__ import annotations

import yaml

#: the safe loader: ``yaml.CSafeLoader`` if PyYAML was built with libyaml, else ``yaml.SafeLoader``
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
