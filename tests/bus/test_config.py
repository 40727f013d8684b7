"""Kafka client settings: bus URL, pass-through settings and their precedence."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ecomstream.bus.client_log import CLIENT_LOG, RepeatFilter
from ecomstream.bus.config import bootstrap_of, client_settings, consumer_settings, env_settings
from ecomstream.errors import ConfigError


def test_bus_url() -> None:
    assert bootstrap_of("kafka://a:9092,b:9093") == "a:9092,b:9093"
    with pytest.raises(ConfigError, match="kafka://HOST:PORT"):
        bootstrap_of("localhost:9092")
    with pytest.raises(ConfigError, match="HOST:PORT"):
        bootstrap_of("kafka://localhost")


def test_environment_names_become_dotted_keys() -> None:
    environ = {"ECOMSTREAM_KAFKA_SASL_MECHANISM": "PLAIN", "ECOMSTREAM_KAFKA_CONFIG": "x=y", "OTHER": "1"}
    assert env_settings(environ) == {"sasl.mechanism": "PLAIN"}


def test_options_beat_the_file_which_beats_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "kafka.properties"
    path.write_text("# comment\nsecurity.protocol = SSL\nssl.ca.location=/ca.pem\n", encoding="utf-8")
    environ = {"ECOMSTREAM_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT", "ECOMSTREAM_KAFKA_CLIENT_ID": "env"}
    settings = client_settings("kafka://h:1", ["client.id=cli"], path, environ)
    assert settings == {"bootstrap.servers": "h:1", "security.protocol": "SSL", "ssl.ca.location": "/ca.pem",
                        "client.id": "cli", "logger": CLIENT_LOG}  # fmt: skip


def test_repeated_client_log_lines_are_folded() -> None:
    now = [0.0]
    folded = RepeatFilter(every_s=60, clock=lambda: now[0])
    failure = "FAIL [rdkafka#consumer-1] h:1/bootstrap: Connect failed: Connection refused"

    def shown(text: str) -> str | None:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", (text,), None)
        return record.getMessage() if folded.filter(record) else None

    assert shown(failure) == failure
    now[0] = 1.0
    assert shown(failure) is None
    assert shown("another line") == "another line"
    now[0] = 30.0
    assert shown(failure) is None
    now[0] = 61.0
    assert shown(failure) == f"{failure} (2 more times in the last 60 s)"
    now[0] = 62.0
    assert shown(failure) is None


def test_a_bad_pair_names_itself() -> None:
    with pytest.raises(ConfigError, match="'nonsense'"):
        client_settings("kafka://h:1", ["nonsense"], environ={})


def test_consumer_keeps_offsets_out_of_kafka() -> None:
    settings = consumer_settings({"bootstrap.servers": "h:1"}, "g", session_timeout_ms=6000)
    assert settings["enable.auto.commit"] is False
    assert settings["session.timeout.ms"] == 6000
    assert settings["heartbeat.interval.ms"] == 1500
