"""Real services for integration tests: Apache Kafka and PostgreSQL on 127.0.0.1.

Session-scoped fixtures (each pytest-xdist worker gets its own servers):

* ``kafka_broker``    -> :class:`KafkaBroker` (``.bootstrap``, ``.stop()``, ``.start()``,
                         ``.restart()``, ``.kill()``, ``with broker.stopped(): ...``) for
                         broker-restart and crash tests
* ``kafka_bootstrap`` -> ``"127.0.0.1:PORT"``
* ``postgres_url``    -> ``"postgresql://postgres@127.0.0.1:PORT/ecomstream"``

They start the servers with ``scripts/kafka-local.sh`` / ``scripts/postgres-local.sh``
(fresh state every session, in ``.cache/test-services/<worker>/``) and stop them at the
end of the session.  To use servers you run yourself instead, set
``ECOMSTREAM_TEST_KAFKA_BOOTSTRAP`` / ``ECOMSTREAM_TEST_POSTGRES_URL``.

With ``CI=true`` nothing here ever skips: the scripts install what is missing (apt-get) or
the fixture errors.  Locally, a missing Java (Kafka) or a PostgreSQL server that the script
cannot install skips with a hint.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = REPO / "scripts" / "kafka-local.sh"
POSTGRES_SCRIPT = REPO / "scripts" / "postgres-local.sh"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _state_dir(service: str) -> Path:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = Path(os.environ.get("ECOMSTREAM_TEST_SERVICES_DIR", REPO / ".cache" / "test-services"))
    return base / worker / service


def run_script(script: Path, *args: str, env: dict[str, str], timeout: float = 600) -> str:
    """Run a service script; return the last line of its stdout. Raises with its stderr on failure."""
    proc = subprocess.run(
        ["bash", str(script), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{script.name} {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _skip_or_fail(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true, refusing to skip: {reason}", pytrace=False)
    pytest.skip(reason)


class KafkaBroker:
    """Handle on the session's broker, started and stopped through scripts/kafka-local.sh.

    ``stop()`` then ``start()`` keeps the port, the cluster id and the data (topics,
    committed offsets), so clients that were running keep the same bootstrap address.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.env = {**os.environ, "ECOMSTREAM_KAFKA_DIR": str(state_dir)}
        self.bootstrap = ""
        self.external = False  # True: ECOMSTREAM_TEST_KAFKA_BOOTSTRAP, not ours to stop

    def _run(self, *args: str) -> str:
        if self.external:
            _skip_or_fail("stopping/starting the broker needs one started by scripts/kafka-local.sh")
        return run_script(KAFKA_SCRIPT, *args, env=self.env)

    def start(self) -> str:
        line = self._run("start")
        if not line.startswith("bootstrap="):
            raise RuntimeError(f"kafka-local.sh start printed {line!r}, expected bootstrap=HOST:PORT")
        bootstrap = line.removeprefix("bootstrap=")
        if self.bootstrap and bootstrap != self.bootstrap:
            raise RuntimeError(f"broker came back on {bootstrap}, was {self.bootstrap}")
        self.bootstrap = bootstrap
        return bootstrap

    def stop(self) -> None:
        self._run("stop")

    def restart(self) -> str:
        self.stop()
        return self.start()

    def kill(self) -> None:
        """SIGKILL the broker (a crash); ``start()`` recovers it on the same port with its data."""
        self._run("kill")

    def clean(self) -> None:
        self._run("clean")

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """``with broker.stopped(): ...`` -- the broker is down inside, and up again after (even on error)."""
        self.stop()
        try:
            yield
        finally:
            self.start()


class PostgresServer:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.env = {**os.environ, "ECOMSTREAM_PG_DIR": str(state_dir)}
        self.url = ""

    def _run(self, *args: str) -> str:
        return run_script(POSTGRES_SCRIPT, *args, env=self.env)

    def start(self) -> str:
        line = self._run("start")
        if not line.startswith("url="):
            raise RuntimeError(f"postgres-local.sh start printed {line!r}, expected url=postgresql://...")
        self.url = line.removeprefix("url=")
        return self.url

    def stop(self) -> None:
        self._run("stop")

    def clean(self) -> None:
        self._run("clean")


def _postgres_installable() -> bool:
    if list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb"):
        return True
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: needs real services (Kafka broker, PostgreSQL, browser)")


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    external = os.environ.get("ECOMSTREAM_TEST_KAFKA_BOOTSTRAP")
    if external:
        broker = KafkaBroker(_state_dir("kafka"))
        broker.bootstrap = external
        broker.external = True
        yield broker
        return
    if shutil.which("java") is None and not in_ci():  # in CI the script installs Java (apt-get)
        pytest.skip(
            "Kafka integration tests need Java 17+ and Maven: "
            "apt-get install openjdk-17-jre-headless maven (or set ECOMSTREAM_TEST_KAFKA_BOOTSTRAP)"
        )
    broker = KafkaBroker(_state_dir("kafka"))
    broker.clean()  # fresh topics/groups every session; jars stay cached
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    return kafka_broker.bootstrap


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    external = os.environ.get("ECOMSTREAM_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    if not _postgres_installable():
        _skip_or_fail(
            "PostgreSQL integration tests need a PostgreSQL server: "
            "apt-get install postgresql (or set ECOMSTREAM_TEST_POSTGRES_URL)"
        )
    server = PostgresServer(_state_dir("postgres"))
    server.clean()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
