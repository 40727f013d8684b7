"""Helpers for tests of the web server: start a real one, call it over HTTP, write test files."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.helpers import ecomstream_command

START_TIMEOUT_S = 60.0

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
HOSTILE_BRAND = "<script>alert(1)</script>"
HOSTILE_CATEGORY = "<img src=x onerror=alert(2)>"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    """A running `ecomstream` server process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return get(self.url, path, {**self.headers, **(headers or {})})

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        """Send `sig` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(f"the server did not stop within {timeout} s; log:\n{self.log.read_text()}") from None


def get(base: str, path: str, headers: dict[str, str] | None = None) -> Reply:
    """One GET without following redirects."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def start(*args: str, log: Path, ready_path: str = "/api/health", headers: dict[str, str] | None = None,
          env: dict[str, str] | None = None) -> Served:  # fmt: skip
    """Start `ecomstream ARGS --port 0` and wait (with a deadline) until it answers."""
    handle = log.open("wb")
    process = subprocess.Popen(
        ecomstream_command(*args, "--port", "0"), stdout=subprocess.PIPE, stderr=handle,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    deadline = time.monotonic() + START_TIMEOUT_S
    url = None
    while url is None:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the server did not print its URL; log:\n{log.read_text()}")
        try:
            line = lines.get(timeout=0.2).decode()
        except queue.Empty:
            continue
        if line.startswith("dashboard: "):
            url = line.split()[1]
    served = Served(process, url, log, dict(headers or {}))
    while True:
        try:
            if served.get(ready_path).status == 200:
                return served
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            served.stop(signal.SIGKILL)
            raise AssertionError(f"the server at {url} did not answer {ready_path}; log:\n{log.read_text()}")
        time.sleep(0.1)


@contextmanager
def serving(*args: str, log: Path, **options: Any) -> Iterator[Served]:
    """`start`, and kill the process on the way out if the test did not stop it."""
    served = start(*args, log=log, **options)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(10)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def hostile_rows() -> list[str]:
    """Valid events whose brand and category are HTML, plus two records that are rejected."""
    rows = []
    for second, kind in enumerate(["view", "view", "cart", "purchase", "view"]):
        rows.append(f"2019-10-01 00:00:{second:02d} UTC,{kind},77,1,{HOSTILE_CATEGORY}.x,{HOSTILE_BRAND},"
                    f"12.50,9001,hostile-session")  # fmt: skip
    rows.append(f"2019-10-01 00:00:09 UTC,view,78,1,,{HOSTILE_BRAND},not-a-price,9002,s")
    rows.append("2019-10-01 00:00:10 UTC,wishlist,78,1,,<b>bold</b>,1.00,9002,s")
    return rows
