"""The Celery app of one integration test's worker: the real app, whose reminder sends pause
inside their transaction once the first channel has sent, so that the test can SIGKILL the
worker there. Started as `celery -A tests.integration.pausing_worker worker`; nothing in the
application knows about it."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.signals import worker_process_init

from exercise_tracker.celery import app

__all__ = ["app"]

logger = logging.getLogger(__name__)
PAUSE_SECONDS = 30.0


@worker_process_init.connect
def _pause_sends(**_: Any) -> None:
    from members.services import channels

    for sender in channels.SENDERS.values():
        send = sender.send

        def paused(*args: Any, _send: Any = send, **kwargs: Any) -> Any:
            result = _send(*args, **kwargs)
            logger.warning("reminder send paused for %.0f s (test worker)", PAUSE_SECONDS)
            time.sleep(PAUSE_SECONDS)
            return result

        sender.send = paused  # type: ignore[method-assign]
