"""Development settings: DEBUG on and the development key unless the environment says otherwise.

`make run`, the tests (settings_test), CI's lint (mypy's Django plugin reads settings) and a
developer's `DJANGO_SETTINGS_MODULE=exercise_tracker.settings_dev` start from here; production
uses exercise_tracker.settings, which is closed by default (DEBUG off, a real secret key).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from .settings import *  # noqa: F403
