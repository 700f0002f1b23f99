"""Fixtures that give integration tests a real Weaviate server.

The ``weaviate_server`` fixture finds a server, in this order:

1. ``WEAVIATE_URL`` (plus ``WEAVIATE_GRPC_PORT``, default 50051, and optionally
   ``WEAVIATE_API_KEY``): an existing server. It cannot be stopped or restarted, so the
   tests that need that are skipped.
2. Docker, if a Docker engine answers: the repository's ``docker-compose.yml``, under a
   project name of its own, removed with its volume at the end.
3. The Weaviate binary built from source with Go (``tests/weaviate_server.py``), on free
   loopback ports with a temporary data directory.

``WEAVIATE_TEST_BACKEND`` (``external``, ``docker`` or ``native``) forces one of them.
While the binary is being built (the first run on a machine: minutes), a line says every
20 s what is built, how long it has taken and where it is cached.

The ``weaviate_cluster`` fixture runs a 3-node cluster of the same binary on loopback
(``WeaviateCluster``), beside the single server; it always builds on the native binary,
since its tests kill nodes (``kill -9``) and restart them.
When none is possible the tests are skipped, except in CI (``CI`` set and not
``false``/``0``), where that is a failure; and in CI any skipped test fails the run, see
`CISkipGuard` in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

# tests/ is importable (tests/conftest.py): the server harness lives there, stdlib-only.
from ci import in_ci
from weaviate_server import (
    DEFAULT_VERSION,
    WeaviateCluster,
    WeaviateServer,
    binary_path,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    import weaviate

_REPO_ROOT = Path(__file__).resolve().parent.parent.parent
_COMPOSE_FILE = _REPO_ROOT / "docker-compose.yml"
_READY_PATH = "/v1/.well-known/ready"
_FIXTURES_NEEDING_WEAVIATE = frozenset(
    {
        "weaviate_server",
        "weaviate_client",
        "unique_collection_name",
        "weaviate_binary",
        "weaviate_cluster",
        "cluster_client",
        "node_client",
    }
)
CLUSTER_NODES = 3
# Weaviate repairs replicas that missed writes every 30 s by default; the tests wait for
# that repair, so they ask for it every 2 s (the benchmarks keep the default).
CLUSTER_TEST_ENV = {"ASYNC_REPLICATION_FREQUENCY": "2s"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test, or fail it in CI, where a skipped Weaviate test is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def _wait_ready(url: str, timeout: float) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(url + _READY_PATH, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            msg = f"Weaviate at {url} was not ready within {timeout:.0f} s"
            raise RuntimeError(msg)
        time.sleep(0.2)


class WeaviateHandle:
    """A Weaviate server for the tests: where it is, and how to stop and restart it."""

    kind = "abstract"
    supports_restart = False

    def __init__(
        self,
        *,
        http_host: str,
        http_port: int,
        grpc_port: int,
        grpc_host: str | None = None,
        secure: bool = False,
        api_key: str | None = None,
    ) -> None:
        """Record the endpoints of the server."""
        self.http_host = http_host
        self.http_port = http_port
        self.grpc_host = grpc_host or http_host
        self.grpc_port = grpc_port
        self.secure = secure
        self.api_key = api_key

    @property
    def url(self) -> str:
        """Base URL of the REST endpoint."""
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.http_host}:{self.http_port}"

    def connect(self, **kwargs: Any) -> weaviate.WeaviateClient:
        """Return a connected client (with init checks); the caller closes it.

        Args:
            **kwargs: Passed on to :func:`weaviate.connect_to_custom`, e.g.
                ``additional_config`` or ``headers``.
        """
        import weaviate  # noqa: PLC0415 - keep conftest import fast and warning-free
        from weaviate.classes.init import Auth  # noqa: PLC0415

        if self.api_key and "auth_credentials" not in kwargs:
            kwargs["auth_credentials"] = Auth.api_key(self.api_key)
        kwargs.setdefault("skip_init_checks", False)
        return weaviate.connect_to_custom(
            http_host=self.http_host,
            http_port=self.http_port,
            http_secure=self.secure,
            grpc_host=self.grpc_host,
            grpc_port=self.grpc_port,
            grpc_secure=self.secure,
            **kwargs,
        )

    def start(self) -> None:
        """Start the server again after :meth:`stop` (same data, same ports)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server, keeping its data."""
        raise NotImplementedError

    def ensure_running(self) -> None:
        """Start the server if a test left it stopped."""

    def close(self) -> None:
        """Stop the server and delete its data, if this session owns it."""

    def __repr__(self) -> str:
        """Show kind and URL."""
        return f"<{type(self).__name__} {self.kind} {self.url} grpc:{self.grpc_port}>"


class ExternalWeaviate(WeaviateHandle):
    """A server given by ``WEAVIATE_URL``; this session neither stops nor deletes it."""

    kind = "external"

    def start(self) -> None:
        """Skip: an external server cannot be restarted from here."""
        skip_or_fail(f"the external Weaviate at {self.url} (WEAVIATE_URL) cannot be restarted")

    def stop(self) -> None:
        """Skip: an external server cannot be stopped from here."""
        skip_or_fail(f"the external Weaviate at {self.url} (WEAVIATE_URL) cannot be stopped")


class NativeWeaviate(WeaviateHandle):
    """The Go-built binary, run by :class:`weaviate_server.WeaviateServer`."""

    kind = "native"
    supports_restart = True

    def __init__(self, server: WeaviateServer) -> None:
        """Wrap a started server."""
        super().__init__(
            http_host=server.http_host,
            http_port=server.http_port,
            grpc_port=server.grpc_port,
            api_key=server.api_keys[0] if server.api_keys else None,
        )
        self.server = server

    def start(self) -> None:
        """Start the server again on the same ports and data."""
        self.server.start()

    def stop(self) -> None:
        """Stop the server (SIGTERM), keeping its data."""
        self.server.stop()

    def ensure_running(self) -> None:
        """Restart the server if it is not running."""
        if not self.server.is_running:
            self.server.start()

    def close(self) -> None:
        """Stop the server and delete its data directory."""
        self.server.close()


class DockerComposeWeaviate(WeaviateHandle):
    """The repository's ``docker-compose.yml``, under a project name of this session."""

    kind = "docker"
    supports_restart = True

    def __init__(self, project: str, *, timeout: float = 180.0) -> None:
        """Remember the compose project; ports are those of ``docker-compose.yml``."""
        super().__init__(http_host="127.0.0.1", http_port=8080, grpc_port=50051)
        self.project = project
        self.timeout = timeout
        self._stopped = False

    def _compose(self, *args: str) -> None:
        docker = shutil.which("docker") or "docker"
        command = [docker, "compose", "-f", str(_COMPOSE_FILE), "-p", self.project, *args]
        result = subprocess.run(  # noqa: S603 - fixed arguments
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=self.timeout,
        )
        if result.returncode != 0:
            msg = f"`{' '.join(command)}` failed:\n{result.stdout}\n{result.stderr}"
            raise RuntimeError(msg)

    def up(self) -> None:
        """Create and start the container, and wait until Weaviate is ready."""
        self._compose("up", "-d", "--wait")
        _wait_ready(self.url, self.timeout)

    def start(self) -> None:
        """Start the stopped container again (same volume, same ports)."""
        self._compose("start")
        _wait_ready(self.url, self.timeout)
        self._stopped = False

    def stop(self) -> None:
        """Stop the container, keeping its volume."""
        self._compose("stop")
        self._stopped = True

    def ensure_running(self) -> None:
        """Start the container if a test left it stopped."""
        if self._stopped:
            self.start()

    def close(self) -> None:
        """Remove the container and its volume."""
        self._compose("down", "--volumes", "--remove-orphans")


def _external_from_env() -> ExternalWeaviate:
    raw = os.environ["WEAVIATE_URL"].strip()
    parsed = urllib.parse.urlsplit(raw if "://" in raw else f"http://{raw}")
    secure = parsed.scheme == "https"
    if not parsed.hostname:
        msg = f"WEAVIATE_URL={raw!r} has no host"
        raise RuntimeError(msg)
    handle = ExternalWeaviate(
        http_host=parsed.hostname,
        http_port=parsed.port or (443 if secure else 80),
        grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
        secure=secure,
        api_key=os.environ.get("WEAVIATE_API_KEY") or None,
    )
    _wait_ready(handle.url, 30.0)
    return handle


def _docker_engine_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None or not _COMPOSE_FILE.is_file():
        return False
    for probe in (["info"], ["compose", "version"]):
        try:
            result = subprocess.run(  # noqa: S603 - fixed arguments
                [docker, *probe], capture_output=True, check=False, timeout=20
            )
        except (OSError, subprocess.SubprocessError):
            return False
        if result.returncode != 0:
            return False
    return True


def _try_docker(problems: list[str]) -> WeaviateHandle | None:
    if not _docker_engine_answers():
        problems.append("docker: no Docker engine with the compose plugin answers")
        return None
    handle = DockerComposeWeaviate(f"langchain-hybrid-test-{uuid.uuid4().hex[:12]}")
    try:
        handle.up()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
            handle.close()  # a half-created project must not linger
        problems.append(f"docker compose: {error}")
        return None
    return handle


def _terminal_progress(config: pytest.Config) -> Callable[[str], None]:
    """Print a line on the terminal at once, even while pytest captures output."""
    capture = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")

    def report(line: str) -> None:
        disabled = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
        with disabled:
            if reporter is not None:
                reporter.write_line(f"[weaviate build] {line}")
            else:
                sys.stderr.write(f"[weaviate build] {line}\n")
                sys.stderr.flush()

    return report


def _try_native(
    problems: list[str], progress: Callable[[str], None] | None = None
) -> WeaviateHandle | None:
    server = WeaviateServer(version=DEFAULT_VERSION, build_progress=progress)
    try:
        # Builds the binary first if it is not cached: minutes, once per machine.
        server.start()
    except RuntimeError as error:
        server.close()
        problems.append(f"native binary ({binary_path(DEFAULT_VERSION)}): {error}")
        return None
    return NativeWeaviate(server)


def _provision(progress: Callable[[str], None] | None = None) -> WeaviateHandle:
    """Find or start a Weaviate server; skip (or fail in CI) when there is none."""
    backend = os.environ.get("WEAVIATE_TEST_BACKEND", "auto").strip().lower() or "auto"
    if backend not in {"auto", "external", "docker", "native"}:
        skip_or_fail(f"unknown WEAVIATE_TEST_BACKEND={backend!r}")
    if backend in {"auto", "external"} and os.environ.get("WEAVIATE_URL"):
        try:
            return _external_from_env()
        except (RuntimeError, ValueError) as error:
            skip_or_fail(f"WEAVIATE_URL is set but not usable: {error}")
    if backend == "external":
        skip_or_fail("WEAVIATE_TEST_BACKEND=external but WEAVIATE_URL is not set")

    problems: list[str] = []
    attempts = {"auto": (_try_docker, _try_native), "docker": (_try_docker,)}
    for attempt in attempts.get(backend, (_try_native,)):
        handle = attempt(problems, progress) if attempt is _try_native else attempt(problems)
        if handle is not None:
            return handle
    skip_or_fail("no Weaviate server available:\n  " + "\n  ".join(problems))


@pytest.fixture(scope="session")
def weaviate_server(pytestconfig: pytest.Config) -> Iterator[WeaviateHandle]:
    """A Weaviate server for the whole session; stopped and its data deleted at the end."""
    handle = _provision(_terminal_progress(pytestconfig))
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture(scope="session")
def weaviate_binary(weaviate_server: WeaviateHandle) -> Path:
    """The natively built server binary, for tests that run a server of their own."""
    if isinstance(weaviate_server, NativeWeaviate):
        return weaviate_server.server.binary
    path = binary_path(DEFAULT_VERSION)
    if not os.access(path, os.X_OK):
        skip_or_fail(f"no Weaviate binary at {path}: run `python tests/weaviate_server.py build`")
    return path


@pytest.fixture(scope="session")
def weaviate_cluster(pytestconfig: pytest.Config) -> Iterator[WeaviateCluster]:
    """A 3-node Weaviate cluster on loopback for the session; always stopped and deleted.

    Nodes a test killed or stopped are started again after it (see below), so every
    test begins with all nodes running.
    """
    if os.environ.get("WEAVIATE_TEST_BACKEND", "").strip().lower() in {"external", "docker"}:
        skip_or_fail(
            "the cluster tests run the native binary (they kill nodes); "
            "WEAVIATE_TEST_BACKEND asks for another backend"
        )
    # With WEAVIATE_URL the user asked not to build: use the binary only if it is cached.
    external = bool(os.environ.get("WEAVIATE_URL"))
    if external and not os.access(binary_path(DEFAULT_VERSION), os.X_OK):
        skip_or_fail(
            f"the cluster tests run 3 nodes of the native binary, not cached at "
            f"{binary_path(DEFAULT_VERSION)}, and WEAVIATE_URL is set (no build): run "
            "`python tests/weaviate_server.py build` first"
        )
    cluster = WeaviateCluster(
        CLUSTER_NODES,
        build=not external,
        extra_env=CLUSTER_TEST_ENV,
        build_progress=_terminal_progress(pytestconfig),
    )
    try:
        cluster.start()
    except RuntimeError as error:
        cluster.close()
        skip_or_fail(f"no {CLUSTER_NODES}-node Weaviate cluster: {error}")
    try:
        yield cluster
    finally:
        cluster.close()


def connect_node(
    cluster: WeaviateCluster, index: int = 0, **kwargs: Any
) -> weaviate.WeaviateClient:
    """A connected client of node ``index`` of the cluster; the caller closes it."""
    import weaviate  # noqa: PLC0415 - keep conftest import fast and warning-free

    node = cluster.nodes[index]
    kwargs.setdefault("skip_init_checks", False)
    return weaviate.connect_to_custom(
        http_host=node.http_host,
        http_port=node.http_port,
        http_secure=False,
        grpc_host=node.grpc_host,
        grpc_port=node.grpc_port,
        grpc_secure=False,
        **kwargs,
    )


@pytest.fixture
def node_client(
    weaviate_cluster: WeaviateCluster,
) -> Callable[..., weaviate.WeaviateClient]:
    """`connect_node` for the session's cluster: ``node_client(index, **kwargs)``.

    A fixture, not an import: with unit and integration tests in one run, ``conftest``
    names the unit tests' module.
    """
    return lambda index=0, **kwargs: connect_node(weaviate_cluster, index, **kwargs)


@pytest.fixture
def cluster_client(weaviate_cluster: WeaviateCluster) -> Iterator[weaviate.WeaviateClient]:
    """A client of the cluster's first node (the node the tests never kill), closed after."""
    weaviate_cluster.ensure_running()
    client = connect_node(weaviate_cluster)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _weaviate_server_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """Restart the shared server (or cluster nodes) a test stopped and did not start again."""
    yield
    # funcargs holds the fixture only if it was set up: no server, nothing to restart.
    funcargs = getattr(request.node, "funcargs", {})
    handle = funcargs.get("weaviate_server")
    if isinstance(handle, WeaviateHandle):
        handle.ensure_running()
    cluster = funcargs.get("weaviate_cluster")
    if isinstance(cluster, WeaviateCluster):
        cluster.ensure_running()


@pytest.fixture
def weaviate_client(weaviate_server: WeaviateHandle) -> Iterator[weaviate.WeaviateClient]:
    """A client connected to the session's server, closed after the test."""
    weaviate_server.ensure_running()
    client = weaviate_server.connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def async_client(weaviate_server: WeaviateHandle) -> AsyncIterator[Any]:
    """An async client connected to the session's server, closed after the test."""
    import weaviate  # noqa: PLC0415 - keep conftest import fast and warning-free

    client = weaviate.use_async_with_custom(
        http_host=weaviate_server.http_host,
        http_port=weaviate_server.http_port,
        http_secure=False,
        grpc_host=weaviate_server.grpc_host,
        grpc_port=weaviate_server.grpc_port,
        grpc_secure=False,
    )
    await client.connect()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def unique_collection_name(weaviate_server: WeaviateHandle) -> Iterator[str]:
    """A fresh collection name (``Test_<hex>``); the collection is deleted after the test."""
    # Weaviate class names must start with an upper-case letter.
    name = f"Test_{uuid.uuid4().hex}"
    yield name
    weaviate_server.ensure_running()
    with weaviate_server.connect() as client:
        client.collections.delete(name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that use the server: ``weaviate``, and sockets allowed if restricted."""
    socket_plugin = config.pluginmanager.hasplugin("socket")
    for item in items:
        fixturenames = getattr(item, "fixturenames", ())
        if not _FIXTURES_NEEDING_WEAVIATE.intersection(fixturenames):
            continue
        item.add_marker(pytest.mark.weaviate)
        if socket_plugin:
            # pytest-socket may disable sockets for unit tests; these talk to 127.0.0.1.
            item.add_marker(pytest.mark.enable_socket)
