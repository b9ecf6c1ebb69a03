"""Named cases, typed config schemas and calibration targets for sifsim (data, not logic)."""
