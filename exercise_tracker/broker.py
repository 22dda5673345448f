"""Celery's Redis transport (kombu's), with one Redis client per channel for the commands a web
process sends (publishing a task) instead of a new client per command.

kombu's Redis channel builds a `redis.Redis` client for every publish (`_create_client`), and a
client's constructor fills a table of about 170 response callbacks: a third of the CPU of
queueing one task, which a session POST does (bench/run.py measures it). The client is
stateless beyond its connection pool and safe to share between threads, so the channel keeps
the one it made, and makes another only when the channel replaced its pool (after a
disconnect). The worker's event-loop client (asynchronous) is kombu's own, untouched.

Used when the broker is Redis: settings.CELERY_BROKER_TRANSPORT."""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _command_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[misc]  # untyped
        client = self._command_client
        if client is None or client.connection_pool is not self.pool:
            client = self._command_client = super()._create_client()  # type: ignore[misc]
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
