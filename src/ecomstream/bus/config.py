"""Kafka client settings: the bus URL, measured defaults, and pass-through settings.

Pass-through settings (security.protocol, sasl.*, ssl.*, any librdkafka property) come
from, in rising precedence: `ECOMSTREAM_KAFKA_<KEY>` variables (`ECOMSTREAM_KAFKA_SASL_MECHANISM`
is `sasl.mechanism`), a `key=value` file (`--kafka-config-file`), and repeated
`--kafka-config key=value` options.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ecomstream.bus.client_log import CLIENT_LOG
from ecomstream.errors import ConfigError

ENV_PREFIX = "ECOMSTREAM_KAFKA_"
_NOT_SETTINGS = {"CONFIG", "CONFIG_FILE"}
"""`ECOMSTREAM_KAFKA_*` variables that are options of ours, not client settings."""

PRODUCER_DEFAULTS: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 50,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 1_000_000,
    "delivery.report.only.error": True,
    "reconnect.backoff.max.ms": 1000,
}
"""Measured in ../shared/PERFORMANCE.md: linger and large batches, idempotence costs little.
A lost broker is retried at least every second (librdkafka's default backs off to 10 s)."""

CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",
    "queued.min.messages": 1_000_000,
    "fetch.queue.backoff.ms": 1,
    "partition.assignment.strategy": "range",
    "reconnect.backoff.max.ms": 1000,
}
"""Without `queued.min.messages` raised and `fetch.queue.backoff.ms=1` the consumer stalls
about a second at a time (../shared/PERFORMANCE.md). Offsets live in the store."""


def bootstrap_of(bus_url: str) -> str:
    """`kafka://host:port[,host:port...]` -> `host:port[,...]`."""
    if not bus_url.startswith("kafka://"):
        msg = f"bad bus {bus_url!r}: Kafka commands need --bus kafka://HOST:PORT (e.g. kafka://127.0.0.1:9092)"
        raise ConfigError(msg)
    servers = bus_url.removeprefix("kafka://").strip("/")
    if not servers or any(":" not in s for s in servers.split(",")):
        msg = f"bad bus {bus_url!r}: give the brokers as kafka://HOST:PORT[,HOST:PORT]"
        raise ConfigError(msg)
    return servers


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Client settings from `ECOMSTREAM_KAFKA_<KEY>` variables."""
    environ = os.environ if environ is None else environ
    found = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX) not in _NOT_SETTINGS:
            found[name.removeprefix(ENV_PREFIX).lower().replace("_", ".")] = value
    return found


def parse_pairs(pairs: Iterable[str], where: str) -> dict[str, str]:
    """`key=value` texts; blank lines and `#` comments are skipped."""
    settings = {}
    for number, line in enumerate(pairs, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            msg = f"bad Kafka setting {text!r} ({where}, item {number}): write key=value, e.g. security.protocol=SSL"
            raise ConfigError(msg)
        settings[key.strip()] = value.strip()
    return settings


def file_settings(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        msg = f"cannot read the Kafka settings file {path}: {err.strerror}"
        raise ConfigError(msg) from err
    return parse_pairs(lines, str(path))


def client_settings(
    bus_url: str,
    pairs: Iterable[str] = (),
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Settings common to every client of a command: brokers, pass-through settings, and
    `CLIENT_LOG` for librdkafka's log lines (repeats folded)."""
    settings: dict[str, Any] = {"bootstrap.servers": bootstrap_of(bus_url), "logger": CLIENT_LOG}
    settings.update(env_settings(environ))
    settings.update(file_settings(config_file))
    settings.update(parse_pairs(pairs, "--kafka-config"))
    return settings


def producer_settings(common: Mapping[str, Any]) -> dict[str, Any]:
    return {**PRODUCER_DEFAULTS, **common}


def consumer_settings(common: Mapping[str, Any], group: str, session_timeout_ms: int | None = None) -> dict[str, Any]:
    settings = {**CONSUMER_DEFAULTS, "group.id": group}
    if session_timeout_ms is not None:
        settings["session.timeout.ms"] = session_timeout_ms
        settings["heartbeat.interval.ms"] = max(100, session_timeout_ms // 4)
    settings.update(common)
    return settings
