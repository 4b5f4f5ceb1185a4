"""Shared pytest configuration: hypothesis profiles.

`dev` (the default) keeps a local run quick; `ci` runs every property at least 500 times
(`.ci/run` exports `HYPOTHESIS_PROFILE=ci`). Pick one with the `HYPOTHESIS_PROFILE`
environment variable, e.g. `HYPOTHESIS_PROFILE=ci .venv/bin/pytest tests/compiler`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: What both profiles share; each profile is this plus its own settings.
_COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("dev", _COMMON, max_examples=100)
settings.register_profile("ci", _COMMON, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
