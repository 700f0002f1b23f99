"""Run a real Weaviate server for tests, built from source with the Go toolchain.

No Docker needed: ``go install github.com/weaviate/weaviate/cmd/weaviate-server@v<version>``
builds the server once into a cache directory outside the repository, and
:class:`WeaviateServer` runs it on loopback with a temporary data directory and free
ports, so parallel test runs on one machine do not collide. :class:`WeaviateCluster`
runs several such nodes as one Weaviate cluster, every byte of it on 127.0.0.1.

Stdlib only, so it can be used before the project's dependencies are installed.

Command line, for developers::

    python tests/weaviate_server.py build            # build (or find) the binary, print its path
    python tests/weaviate_server.py serve            # a server in the foreground until Ctrl-C
    python tests/weaviate_server.py serve --nodes 3  # a 3-node cluster, likewise
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from types import FrameType, TracebackType

    from typing_extensions import Self

__all__ = [
    "DEFAULT_VERSION",
    "WeaviateCluster",
    "WeaviateServer",
    "binary_path",
    "cache_root",
    "ensure_binary",
    "go_cache_dirs",
]

# Pinned: newer 1.39.x releases depend on github.com/weaviate/sroar >= v0.0.17, which
# the Go module proxy does not serve, so they cannot be built with `go install`.
DEFAULT_VERSION = "1.39.3"

_GO_PACKAGE = "github.com/weaviate/weaviate/cmd/weaviate-server"
_BINARY_NAME = "weaviate-server"
_READY_PATH = "/v1/.well-known/ready"
_PORT_NAMES = ("gossip", "data", "raft", "raft_rpc", "http", "grpc")
_LOG_TAIL_LINES = 60
_LOOPBACK = "127.0.0.1"
_PROGRESS_INTERVAL = 20.0  # seconds between "still building" lines
_PORT_RETRIES = 3
_ADDRESS_IN_USE = ("address already in use", "bind: address already in use")
# Network failures that mean "the checksum database could not be reached", as opposed
# to a checksum mismatch, which must never be papered over with GOSUMDB=off.
_NETWORK_FAILURE_MARKERS = (
    "dial tcp",
    "i/o timeout",
    "connection refused",
    "connection reset",
    "no such host",
    "network is unreachable",
    "tls handshake",
    "proxyconnect",
    "context deadline exceeded",
    "server misbehaving",
    "temporary failure in name resolution",
)
# The environment the server inherits; everything else is dropped so that a stray
# CLUSTER_* or RAFT_* variable in the developer's shell cannot change the server.
_INHERITED_ENV = ("PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "SSL_CERT_FILE")


def cache_root() -> Path:
    """Return the cache directory of this project.

    ``$LANGCHAIN_HYBRID_CACHE`` if set, else ``$XDG_CACHE_HOME/langchain-hybrid``, else
    ``~/.cache/langchain-hybrid``.
    """
    explicit = os.environ.get("LANGCHAIN_HYBRID_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "langchain-hybrid"


def binary_path(version: str = DEFAULT_VERSION) -> Path:
    """Return where the server binary of ``version`` is (or would be) cached."""
    return cache_root() / "weaviate" / f"v{version.removeprefix('v')}" / _BINARY_NAME


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _sumdb_hosts(go: str) -> list[str]:
    """Host names of the configured checksum database, for recognising its errors."""
    hosts = ["sum.golang.org"]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        value = subprocess.run(  # noqa: S603 - fixed arguments, go from PATH
            [go, "env", "GOSUMDB"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout.strip()
        # GOSUMDB is "name[+key] [url]"; both the name and the URL's host may appear.
        for word in value.split():
            host = word.split("+", 1)[0].split("://", 1)[-1].split("/", 1)[0]
            if host and host != "off":
                hosts.append(host.lower())
    return hosts


def _sumdb_unreachable(output: str, hosts: Sequence[str]) -> bool:
    lowered = output.lower()
    if "security error" in lowered or "checksum mismatch" in lowered:
        return False
    for line in lowered.splitlines():
        mentions_sumdb = "gosumdb" in line or any(host in line for host in hosts)
        if mentions_sumdb and any(marker in line for marker in _NETWORK_FAILURE_MARKERS):
            return True
    return False


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def go_cache_dirs(go: str | None = None) -> dict[str, Path]:
    """Where Go keeps downloaded modules and compiled packages (``go env``).

    A Weaviate build fills both (about 3.8 GB together); the binary itself is cached
    apart from them, under :func:`cache_root`. Empty if Go is not installed.
    """
    go = go or shutil.which("go")
    if go is None:
        return {}
    try:
        values = subprocess.run(  # noqa: S603 - fixed arguments, go from PATH
            [go, "env", "GOMODCACHE", "GOCACHE"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return {}
    names = ("GOMODCACHE", "GOCACHE")
    return {name: Path(value) for name, value in zip(names, values, strict=False) if value}


def disk_usage(path: Path) -> int:
    """Bytes that a file tree occupies on disk, as ``du -s`` counts them; 0 if missing."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512  # noqa: PTH118 - os.walk speed
    return total


def _human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"  # pragma: no cover - the loop always returns


def _human_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class _BuildProgress:
    """Says every `interval` seconds that a build is still running, and what it is doing.

    `go install` prints a line per module it downloads and nothing at all while it
    compiles, which is most of a Weaviate build: without these lines a first test run
    looks hung for minutes.
    """

    def __init__(self, report: Callable[[str], None], what: str, interval: float) -> None:
        self._report = report
        self._what = what
        self._interval = interval
        self._started = time.monotonic()
        self._downloads = 0
        self._last_download = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="build-progress", daemon=True)

    def saw(self, line: str) -> None:
        """Take note of one line of the build's output."""
        if line.startswith("go: downloading"):
            self._downloads += 1
            self._last_download = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since the build started."""
        return time.monotonic() - self._started

    def _tick(self) -> None:
        while not self._done.wait(self._interval):
            recent = time.monotonic() - self._last_download < self._interval
            phase = "downloading modules" if recent else "compiling"
            self._report(
                f"still building {self._what}: {_human_duration(self.elapsed)} so far, "
                f"{self._downloads} modules downloaded, now {phase}"
            )

    def __enter__(self) -> Self:
        """Start the periodic lines."""
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop them."""
        self._done.set()
        self._thread.join()


def _run_go_install(
    go: str,
    version: str,
    gobin: Path,
    log_path: Path,
    *,
    extra_env: Mapping[str, str],
    output: Callable[[str], None] | None,
    progress: _BuildProgress | None,
    timeout: float | None,
) -> tuple[int, str]:
    """Run ``go install`` once; return its exit status and its combined output."""
    env = dict(os.environ)
    # GOFLAGS and the rest of the Go configuration are left as the user has them.
    env.update(extra_env)
    env["GOBIN"] = str(gobin)
    command = [go, "install", f"{_GO_PACKAGE}@v{version}"]
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks: list[str] = []
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}  # {dict(extra_env)}\n")
        log.flush()
        with subprocess.Popen(  # noqa: S603 - fixed arguments, go from PATH
            command,
            cwd=gobin,  # outside any go.mod, so no workspace can interfere
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                chunks.append(line)
                log.write(line)
                log.flush()
                if progress is not None:
                    progress.saw(line)
                if output is not None:
                    output(line.rstrip("\n"))
                if deadline is not None and time.monotonic() > deadline:
                    process.kill()
                    chunks.append(f"\n(killed: build took longer than {timeout} s)\n")
                    break
            returncode = process.wait()
    return returncode, "".join(chunks)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock, so parallel test workers build only once."""
    with path.open("a+b") as handle:
        try:
            import fcntl  # noqa: PLC0415 - POSIX only; elsewhere run without the lock
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_binary(
    version: str = DEFAULT_VERSION,
    *,
    output: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    progress_interval: float = _PROGRESS_INTERVAL,
    timeout: float | None = None,
) -> Path:
    """Return the cached Weaviate server binary, building it first if it is missing.

    The build runs ``go install github.com/weaviate/weaviate/cmd/weaviate-server@v<version>``
    with ``GOBIN`` set to a temporary directory next to the final location and moves
    the binary into place atomically, so an interrupted build never leaves a broken
    binary behind. If the Go checksum database cannot be reached, the build is retried
    once with ``GOSUMDB=off``; Weaviate's own ``go.sum`` still pins every dependency.

    Args:
        version: Weaviate version, with or without a leading ``v``.
        output: Called with each line of the build's output, if given.
        progress: Called, when a build runs, with what is built and where it is cached,
            then every ``progress_interval`` seconds with the time it has taken and
            what it is doing, and with the result at the end.
        progress_interval: Seconds between two progress lines.
        timeout: Seconds after which a build is killed; ``None`` waits for ever.

    Returns:
        Path of the executable.

    Raises:
        RuntimeError: If the binary is missing and Go is not installed, or the build
            fails.
    """
    version = version.removeprefix("v")
    target = binary_path(version)
    if _is_executable(target):
        return target
    go = shutil.which("go")
    if go is None:
        msg = (
            f"The Weaviate server binary is not cached at {target} and the Go toolchain "
            "('go') is not on PATH, so it cannot be built. Install Go (the version "
            f"Weaviate v{version}'s go.mod asks for, https://go.dev/dl/) and run "
            "`python tests/weaviate_server.py build`; or start Weaviate with "
            "`docker compose up -d`; or point WEAVIATE_URL (and WEAVIATE_GRPC_PORT) at "
            "a running Weaviate server."
        )
        raise RuntimeError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    log_path = target.parent / "build.log"
    say = progress or (lambda _line: None)
    with _exclusive_lock(target.parent / ".build.lock"):
        if _is_executable(target):  # built by another process while we waited
            return target
        caches = ", ".join(f"{name}={path}" for name, path in go_cache_dirs(go).items())
        say(
            f"building Weaviate v{version} from source with `go install` (minutes, once per "
            f"machine): binary cached at {target}; Go caches: {caches or 'unknown'}; "
            f"log: {log_path}. To use a running server instead, set WEAVIATE_URL."
        )
        gobin = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
        try:
            with _BuildProgress(say, f"Weaviate v{version}", progress_interval) as ticker:
                returncode, text = _go_install_with_retry(
                    go, version, gobin, log_path, output=output, progress=ticker, timeout=timeout
                )
            built = gobin / _BINARY_NAME
            if returncode != 0 or not _is_executable(built):
                msg = (
                    f"Building Weaviate v{version} with `go install {_GO_PACKAGE}@v{version}`"
                    f" failed (exit status {returncode}); full log: {log_path}\n"
                    f"{_tail(text)}"
                )
                raise RuntimeError(msg)
            built.replace(target)  # atomic: same file system
        finally:
            shutil.rmtree(gobin, ignore_errors=True)
    say(
        f"built Weaviate v{version} in {_human_duration(ticker.elapsed)}: {target} "
        f"({_human_bytes(target.stat().st_size)})"
    )
    return target


def _go_install_with_retry(
    go: str,
    version: str,
    gobin: Path,
    log_path: Path,
    *,
    output: Callable[[str], None] | None,
    progress: _BuildProgress,
    timeout: float | None,
) -> tuple[int, str]:
    """`go install`, once more with ``GOSUMDB=off`` if the checksum database is unreachable."""
    attempts: list[dict[str, str]] = [{}, {"GOSUMDB": "off"}]
    returncode, text = 1, ""
    for index, extra_env in enumerate(attempts):
        returncode, text = _run_go_install(
            go,
            version,
            gobin,
            log_path,
            extra_env=extra_env,
            output=output,
            progress=progress,
            timeout=timeout,
        )
        if returncode == 0:
            break
        retry = index + 1 < len(attempts) and _sumdb_unreachable(text, _sumdb_hosts(go))
        if not retry:
            break
        if output is not None:
            output("checksum database unreachable; retrying with GOSUMDB=off")
    return returncode, text


def _free_ports(
    count: int, *, udp_too: Sequence[int] = (), with_next: Sequence[int] = ()
) -> list[int]:
    """Pick ``count`` distinct free TCP ports.

    Indexes in ``udp_too`` are free for UDP too; for indexes in ``with_next`` the port
    above is free as well (and is not among the others): a Weaviate node in
    ``CLUSTER_IN_LOCALHOST`` mode serves Raft RPC on its Raft port + 1.

    All sockets stay open until every port is chosen, so the ports differ. The server
    binds its gRPC and internal data ports on all interfaces, so the probe does too
    (a bind without listen or connect sends nothing anywhere).
    """
    ports: list[int] = []
    held: list[socket.socket] = []

    def hold(kind: socket.SocketKind, port: int) -> int:
        sock = socket.socket(socket.AF_INET, kind)
        held.append(sock)
        sock.bind(("", port))
        return int(sock.getsockname()[1])

    try:
        while len(ports) < count:
            port = hold(socket.SOCK_STREAM, 0)
            try:
                if len(ports) in udp_too:
                    hold(socket.SOCK_DGRAM, port)
                if len(ports) in with_next:
                    hold(socket.SOCK_STREAM, port + 1)
            except (OSError, OverflowError):
                continue  # the TCP port is free but its twin is not; pick another
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the server if the test process dies without cleaning up."""
    import ctypes  # noqa: PLC0415 - only needed in the forked child

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


# Servers still running when the interpreter exits (a test run interrupted before its
# fixtures tore down) are stopped, so no orphan keeps ports and files.
_LIVE_SERVERS: weakref.WeakSet[WeaviateServer] = weakref.WeakSet()


@atexit.register
def _stop_live_servers() -> None:  # pragma: no cover - interpreter shutdown
    for server in list(_LIVE_SERVERS):
        with contextlib.suppress(Exception):
            server.close()


class WeaviateServer:
    """A Weaviate server process on loopback, for tests.

    Every port the server opens (HTTP, gRPC, gossip, internal data, Raft, Raft RPC) is
    a free port chosen at the first :meth:`start`, and kept for later starts: Raft
    stores its own address in the data directory, so a restart must reuse the ports.
    Metrics, profiling, telemetry and runtime overrides are switched off, so nothing
    else listens.

    :meth:`stop` ends the process but keeps its data, and :meth:`start` brings the same
    server back; :meth:`close` stops it and deletes the temporary directory. Not
    thread-safe.

    Example:
        >>> with WeaviateServer() as server:  # doctest: +SKIP
        ...     client = weaviate.connect_to_local(
        ...         host=server.http_host, port=server.http_port, grpc_port=server.grpc_port
        ...     )
    """

    def __init__(
        self,
        *,
        version: str = DEFAULT_VERSION,
        binary: str | os.PathLike[str] | None = None,
        build: bool = True,
        http_port: int | None = None,
        grpc_port: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        api_keys: Sequence[str] | None = None,
        api_users: Sequence[str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        log_level: str = "warning",
        startup_timeout: float = 120.0,
        stop_timeout: float = 30.0,
        node_name: str = "node1",
        ports: Mapping[str, int] | None = None,
        build_progress: Callable[[str], None] | None = None,
    ) -> None:
        """Configure a server; nothing starts until :meth:`start`.

        Args:
            version: Weaviate version, used to find (or build) the binary.
            binary: Server executable to run instead of the cached build.
            build: Whether :meth:`start` may build a missing binary (minutes).
            http_port: REST port; a free port when ``None``.
            grpc_port: gRPC port; a free port when ``None``.
            data_dir: Persistent data directory. When ``None``, a temporary one is made
                and :meth:`close` deletes it; a given directory is never deleted.
            api_keys: If given, API-key authentication is on with these keys and
                anonymous access is off; otherwise anyone may access the server.
            api_users: User names for ``api_keys``: one for all keys, or one per key.
                Defaults to a single user ``"test-user"``.
            extra_env: Environment variables for the server, overriding the defaults.
            log_level: Weaviate ``LOG_LEVEL``.
            startup_timeout: Seconds to wait for readiness.
            stop_timeout: Seconds to wait after SIGTERM before SIGKILL.
            node_name: The node's ``CLUSTER_HOSTNAME`` (its name in a cluster).
            ports: Every port, by purpose (``gossip``, ``data``, ``raft``, ``raft_rpc``,
                ``http``, ``grpc``), when the caller chose them (a cluster node);
                otherwise free ports are picked at the first start.
            build_progress: Receives the progress lines of a build, if the binary must
                be built (see :func:`ensure_binary`); ``None`` prints them to stderr.

        Raises:
            ValueError: If ``api_users`` does not match ``api_keys``, or ``ports``
                lacks one.
        """
        self._version = version.removeprefix("v")
        self._binary = Path(binary) if binary is not None else None
        self._resolved_binary: Path | None = None
        self._build = build
        self._requested_http_port = http_port
        self._requested_grpc_port = grpc_port
        self._own_root: Path | None = None
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._api_keys = list(api_keys) if api_keys else []
        self._api_users = list(api_users) if api_users else ["test-user"]
        if self._api_keys and len(self._api_users) not in (1, len(self._api_keys)):
            msg = "api_users must hold one user, or one user per API key"
            raise ValueError(msg)
        self._extra_env = dict(extra_env or {})
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._node_name = node_name
        self._build_progress = build_progress or _stderr_line
        self._ports: dict[str, int] | None = None
        if ports is not None:
            missing = sorted(set(_PORT_NAMES) - set(ports))
            if missing:
                msg = f"ports lacks {missing}"
                raise ValueError(msg)
            self._ports = {name: int(ports[name]) for name in _PORT_NAMES}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None
        self._log_path: Path | None = None
        self._log_offset = 0  # where the current run's output starts in the log

    # -- public properties -------------------------------------------------------------

    @property
    def http_host(self) -> str:
        """Host of the REST and gRPC endpoints."""
        return "127.0.0.1"

    @property
    def grpc_host(self) -> str:
        """Host of the gRPC endpoint (same as :attr:`http_host`)."""
        return self.http_host

    @property
    def http_port(self) -> int:
        """REST port, known after the first :meth:`start`."""
        return self._port("http")

    @property
    def grpc_port(self) -> int:
        """gRPC port, known after the first :meth:`start`."""
        return self._port("grpc")

    @property
    def ports(self) -> dict[str, int]:
        """Every port of the server, by purpose, known after the first :meth:`start`."""
        self._port("http")
        assert self._ports is not None
        return dict(self._ports)

    @property
    def url(self) -> str:
        """Base URL of the REST endpoint, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def binary(self) -> Path:
        """The server executable (found, or built, on first use)."""
        if self._resolved_binary is None:
            self._resolved_binary = self._resolve_binary()
        return self._resolved_binary

    @property
    def api_keys(self) -> list[str]:
        """The accepted API keys; empty when access is anonymous."""
        return list(self._api_keys)

    @property
    def data_dir(self) -> Path | None:
        """The data directory, once known."""
        return self._data_dir

    @property
    def log_path(self) -> Path | None:
        """File holding the server's stdout and stderr, once started."""
        return self._log_path

    @property
    def node_name(self) -> str:
        """The node's name (``CLUSTER_HOSTNAME``)."""
        return self._node_name

    @property
    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the running server, if any."""
        return self._process.pid if self.is_running and self._process else None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, *, wait: bool = True) -> None:
        """Start the server (or start it again after :meth:`stop`) and wait until ready.

        Args:
            wait: Wait until the server is ready. A cluster node is ready only once
                the cluster has formed, so :class:`WeaviateCluster` launches every node
                with ``wait=False`` first and then calls :meth:`wait_ready` on each.

        Raises:
            RuntimeError: If the binary cannot be found or built, the server exits, or
                it is not ready within the startup timeout; the message holds the tail
                of the server log.
        """
        if self.is_running:
            return
        binary = self.binary
        self._prepare_dirs()
        first_start = self._ports is None
        attempts = _PORT_RETRIES if first_start else 1
        for attempt in range(attempts):
            if first_start:
                self._ports = self._choose_ports()
            try:
                self._launch(binary)
                if not wait:
                    return
                self._wait_ready()
            except (RuntimeError, OSError) as error:
                log_tail = self._log_tail()
                self._terminate()
                collided = any(marker in log_tail.lower() for marker in _ADDRESS_IN_USE)
                if collided and attempt + 1 < attempts:
                    # Another process took a port between the probe and the bind: try
                    # new ports on a clean slate (Raft stored the old addresses).
                    self._reset_data_dir()
                    continue
                msg = f"{error}\n--- server log tail ---\n{log_tail}"
                raise RuntimeError(msg) from None
            return

    def wait_ready(self) -> None:
        """Wait until a server launched with ``start(wait=False)`` is ready.

        Raises:
            RuntimeError: If it exits or is not ready within the startup timeout (it is
                then stopped); the message holds the tail of the server log.
        """
        try:
            self._wait_ready()
        except RuntimeError as error:
            log_tail = self._log_tail()
            self._terminate()
            msg = f"{error}\n--- {self._node_name} log tail ---\n{log_tail}"
            raise RuntimeError(msg) from None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after the stop timeout); keep its data."""
        self._terminate()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL, as ``kill -9``): no shutdown, data as it is."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        self._terminate()  # reaps the process and closes the log

    def restart(self) -> None:
        """Stop and start the server on the same ports and data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and delete its temporary directory (not a given ``data_dir``)."""
        self._terminate()
        _LIVE_SERVERS.discard(self)
        if self._own_root is not None:
            data_was_ours = self._data_dir is not None and self._data_dir.is_relative_to(
                self._own_root
            )
            shutil.rmtree(self._own_root, ignore_errors=True)
            self._own_root = None
            self._log_path = None
            if data_was_ours:
                # A later start() begins afresh: new data, so new ports are fine.
                self._data_dir = None
                self._ports = None

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the server."""
        self.close()

    def __repr__(self) -> str:
        """Show version, node, URL and state."""
        where = self.url if self._ports else "not started"
        state = "running" if self.is_running else "stopped"
        return f"WeaviateServer(v{self._version}, {self._node_name}, {where}, {state})"

    # -- internals ---------------------------------------------------------------------

    def _port(self, name: str) -> int:
        if self._ports is None:
            msg = "the server has no ports yet: call start() first"
            raise RuntimeError(msg)
        return self._ports[name]

    def _resolve_binary(self) -> Path:
        if self._binary is not None:
            if not _is_executable(self._binary):
                msg = f"Weaviate server binary {self._binary} is not an executable file"
                raise RuntimeError(msg)
            return self._binary
        if self._build:
            return ensure_binary(self._version, progress=self._build_progress)
        cached = binary_path(self._version)
        if not _is_executable(cached):
            msg = (
                f"Weaviate server binary not found at {cached}; build it with "
                "`python tests/weaviate_server.py build`"
            )
            raise RuntimeError(msg)
        return cached

    def _prepare_dirs(self) -> None:
        if self._own_root is None:
            self._own_root = Path(tempfile.mkdtemp(prefix="langchain-hybrid-weaviate-"))
        _LIVE_SERVERS.add(self)  # from here on there is something to clean up at exit
        if self._data_dir is None:
            self._data_dir = self._own_root / "data"
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._log_path = self._own_root / "server.log"

    def _reset_data_dir(self) -> None:
        if self._data_dir is None:
            return
        for child in self._data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def _choose_ports(self) -> dict[str, int]:
        # Memberlist listens on the gossip port with TCP and UDP.
        picked = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES), udp_too=(0,)), strict=True))
        if self._requested_http_port:
            picked["http"] = self._requested_http_port
        if self._requested_grpc_port:
            picked["grpc"] = self._requested_grpc_port
        return picked

    def _environment(self) -> dict[str, str]:
        assert self._ports is not None
        assert self._data_dir is not None
        env = {name: os.environ[name] for name in _INHERITED_ENV if name in os.environ}
        env.update(
            {
                "PERSISTENCE_DATA_PATH": str(self._data_dir),
                "DEFAULT_VECTORIZER_MODULE": "none",
                "ENABLE_MODULES": "",
                "QUERY_DEFAULTS_LIMIT": "25",
                "QUERY_MAXIMUM_RESULTS": "10000",
                "DISABLE_TELEMETRY": "true",
                "LOG_LEVEL": self._log_level,
                "LOG_FORMAT": "text",
                # One node, alone on loopback; every listener on a port of our own.
                # Not CLUSTER_IN_LOCALHOST: that mode assumes the Raft RPC port is the
                # Raft port + 1 and ignores RAFT_INTERNAL_RPC_PORT, so the node's join
                # call to itself hangs and it never elects itself leader.
                "CLUSTER_HOSTNAME": self._node_name,
                # Bind and advertise loopback: without the advertise address a node
                # would announce the machine's own interface address to its peers.
                "CLUSTER_BIND_ADDR": self.http_host,
                "CLUSTER_ADVERTISE_ADDR": self.http_host,
                "CLUSTER_GOSSIP_BIND_PORT": str(self._ports["gossip"]),
                "CLUSTER_DATA_BIND_PORT": str(self._ports["data"]),
                "RAFT_PORT": str(self._ports["raft"]),
                "RAFT_INTERNAL_RPC_PORT": str(self._ports["raft_rpc"]),
                "RAFT_BOOTSTRAP_EXPECT": "1",
                # The default multiplier (5) makes a lone node wait ~8 s for its own
                # election; 1 brings startup down to ~2 s and is safe with one voter.
                "RAFT_TIMEOUTS_MULTIPLIER": "1",
                "GRPC_PORT": str(self._ports["grpc"]),
                # Listeners we do not need, each on a fixed default port (6060, 2112,
                # 9050) that would collide between parallel servers.
                "GO_PROFILING_DISABLE": "true",
                "PROMETHEUS_MONITORING_ENABLED": "false",
                "EXPERIMENTAL_METADATA_SERVER_ENABLED": "false",
                "RUNTIME_OVERRIDES_ENABLED": "false",
            }
        )
        if self._api_keys:
            env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] = "false"
            env["AUTHENTICATION_APIKEY_ENABLED"] = "true"
            env["AUTHENTICATION_APIKEY_ALLOWED_KEYS"] = ",".join(self._api_keys)
            env["AUTHENTICATION_APIKEY_USERS"] = ",".join(self._api_users)
        else:
            env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] = "true"
        env.update(self._extra_env)
        return env

    def _launch(self, binary: Path) -> None:
        assert self._log_path is not None
        self._log_handle = self._log_path.open("ab")
        self._log_offset = self._log_handle.tell()
        command = [
            str(binary),
            "--scheme",
            "http",
            "--host",
            self.http_host,
            "--port",
            str(self.http_port),
            # Long queries in tests must not be cut off by the default 30 s / 60 s.
            "--read-timeout=600s",
            "--write-timeout=600s",
        ]
        self._process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            command,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            # A terminal's Ctrl-C goes to the test process, which then shuts the server
            # down in order, instead of killing both at once.
            start_new_session=True,
            preexec_fn=_set_parent_death_signal if sys.platform == "linux" else None,  # noqa: PLW1509 - prctl only
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        ready_url = self.url + _READY_PATH
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                msg = f"Weaviate server exited during startup (exit status {code})"
                raise RuntimeError(msg)
            if self._answers(opener, ready_url) and self._grpc_listening():
                return
            if time.monotonic() > deadline:
                msg = (
                    f"Weaviate server at {self.url} was not ready within "
                    f"{self._startup_timeout:.0f} s (log: {self._log_path})"
                )
                raise RuntimeError(msg)
            time.sleep(0.1)

    @staticmethod
    def _answers(opener: urllib.request.OpenerDirector, url: str) -> bool:
        try:
            with opener.open(url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _grpc_listening(self) -> bool:
        try:
            with socket.create_connection((self.grpc_host, self.grpc_port), timeout=2):
                return True
        except OSError:
            return False

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self._stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def _log_tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "(no log)"
        with self._log_path.open("rb") as handle:
            handle.seek(self._log_offset)
            text = handle.read().decode("utf-8", errors="replace")
        return _tail(text) or "(empty log)"


class WeaviateCluster:
    """Several Weaviate nodes on loopback, forming one cluster, for tests.

    Each node is a :class:`WeaviateServer` of the same binary with its own data
    directory and six ports of its own. They find each other as Weaviate documents for
    several nodes on one host: ``CLUSTER_IN_LOCALHOST=true`` (each node's Raft RPC port
    is its Raft port + 1), ``CLUSTER_JOIN`` listing the other nodes' gossip addresses,
    ``RAFT_JOIN`` naming every node with its Raft port, and ``RAFT_BOOTSTRAP_EXPECT``
    equal to the node count. Every node binds and advertises 127.0.0.1 only
    (``CLUSTER_BIND_ADDR``, ``CLUSTER_ADVERTISE_ADDR``), so no byte leaves loopback.

    :meth:`kill` (SIGKILL, as ``kill -9``), :meth:`stop_node` and :meth:`start_node`
    act on one node; a restarted node keeps its ports and data and rejoins.
    :meth:`close` stops every node and deletes every data directory. Not thread-safe.

    Example:
        >>> with WeaviateCluster(nodes=3) as cluster:  # doctest: +SKIP
        ...     client = weaviate.connect_to_local(
        ...         host=cluster.http_host, port=cluster.http_port, grpc_port=cluster.grpc_port
        ...     )
    """

    def __init__(
        self,
        nodes: int = 3,
        *,
        version: str = DEFAULT_VERSION,
        binary: str | os.PathLike[str] | None = None,
        build: bool = True,
        extra_env: Mapping[str, str] | None = None,
        log_level: str = "warning",
        startup_timeout: float = 180.0,
        stop_timeout: float = 30.0,
        build_progress: Callable[[str], None] | None = None,
    ) -> None:
        """Configure a cluster; nothing starts until :meth:`start`.

        Args:
            nodes: Number of nodes (at least 2).
            version: Weaviate version, used to find (or build) the binary.
            binary: Server executable to run instead of the cached build.
            build: Whether :meth:`start` may build a missing binary (minutes).
            extra_env: Environment variables for every node, overriding the defaults.
            log_level: Weaviate ``LOG_LEVEL``.
            startup_timeout: Seconds to wait until every node is ready.
            stop_timeout: Seconds to wait after SIGTERM before SIGKILL.
            build_progress: Receives the progress lines of a build (see
                :func:`ensure_binary`); ``None`` prints them to stderr.

        Raises:
            ValueError: If ``nodes`` is below 2.
        """
        if nodes < 2:
            msg = f"a cluster needs at least 2 nodes, got {nodes}; use WeaviateServer for one"
            raise ValueError(msg)
        self._count = nodes
        self._version = version.removeprefix("v")
        self._binary = binary
        self._build = build
        self._extra_env = dict(extra_env or {})
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._build_progress = build_progress
        self._nodes: list[WeaviateServer] = []

    # -- public properties -------------------------------------------------------------

    @property
    def nodes(self) -> list[WeaviateServer]:
        """The nodes, ``node1`` first (known after :meth:`start`)."""
        return list(self._nodes)

    @property
    def http_host(self) -> str:
        """Host of every node's endpoints."""
        return _LOOPBACK

    @property
    def http_port(self) -> int:
        """REST port of the first node, the one clients connect to by default."""
        return self._first().http_port

    @property
    def grpc_port(self) -> int:
        """gRPC port of the first node."""
        return self._first().grpc_port

    @property
    def url(self) -> str:
        """Base URL of the first node's REST endpoint."""
        return self._first().url

    @property
    def is_running(self) -> bool:
        """Whether every node's process is alive."""
        return bool(self._nodes) and all(node.is_running for node in self._nodes)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start every node (or the stopped ones) and wait until all are ready.

        Raises:
            RuntimeError: If a node cannot start or the cluster does not form within
                the startup timeout; the message holds the tail of the node's log.
        """
        if self._nodes:
            self._start_nodes([n for n in self._nodes if not n.is_running])
            return
        for attempt in range(_PORT_RETRIES):
            self._nodes = self._configure_nodes()
            try:
                self._start_nodes(self._nodes)
            except RuntimeError as error:
                collided = any(marker in str(error).lower() for marker in _ADDRESS_IN_USE)
                self.close()
                if collided and attempt + 1 < _PORT_RETRIES:
                    continue  # a port was taken between the probe and the bind
                raise
            return

    def kill(self, index: int) -> None:
        """Kill node ``index`` (0-based) with SIGKILL, as ``kill -9`` does."""
        self._nodes[index].kill()

    def stop_node(self, index: int) -> None:
        """Stop node ``index`` gracefully (SIGTERM), keeping its data."""
        self._nodes[index].stop()

    def start_node(self, index: int) -> None:
        """Start node ``index`` again (same ports, same data) and wait until it is ready."""
        self._start_nodes([self._nodes[index]])

    def ensure_running(self) -> None:
        """Start every node that a test left stopped or killed."""
        stopped = [node for node in self._nodes if not node.is_running]
        if stopped:
            self._start_nodes(stopped)

    def stop(self) -> None:
        """Stop every node, keeping the data."""
        for node in self._nodes:
            node.stop()

    def close(self) -> None:
        """Stop every node and delete every data directory."""
        for node in self._nodes:
            node.close()
        self._nodes = []

    def __enter__(self) -> Self:
        """Start the cluster."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the cluster."""
        self.close()

    def __repr__(self) -> str:
        """Show version, node count and state."""
        running = sum(node.is_running for node in self._nodes)
        return f"WeaviateCluster(v{self._version}, {running}/{self._count} nodes running)"

    # -- internals ---------------------------------------------------------------------

    def _first(self) -> WeaviateServer:
        if not self._nodes:
            msg = "the cluster has no nodes yet: call start() first"
            raise RuntimeError(msg)
        return self._nodes[0]

    def _configure_nodes(self) -> list[WeaviateServer]:
        per_node = len(_PORT_NAMES) - 1  # Raft RPC is Raft + 1, reserved with it
        raft_index = _PORT_NAMES.index("raft")
        picked = _free_ports(
            per_node * self._count,
            udp_too=[i * per_node for i in range(self._count)],  # gossip: TCP and UDP
            with_next=[i * per_node + raft_index for i in range(self._count)],
        )
        layouts: list[dict[str, int]] = []
        for i in range(self._count):
            gossip, data, raft, http, grpc = picked[i * per_node : (i + 1) * per_node]
            layouts.append(
                {
                    "gossip": gossip,
                    "data": data,
                    "raft": raft,
                    "raft_rpc": raft + 1,
                    "http": http,
                    "grpc": grpc,
                }
            )
        names = [f"node{i + 1}" for i in range(self._count)]
        raft_join = ",".join(f"{n}:{p['raft']}" for n, p in zip(names, layouts, strict=True))
        nodes = []
        for i, (name, ports) in enumerate(zip(names, layouts, strict=True)):
            others = [f"{_LOOPBACK}:{p['gossip']}" for j, p in enumerate(layouts) if j != i]
            env = {
                "CLUSTER_IN_LOCALHOST": "true",
                "CLUSTER_JOIN": ",".join(others),
                "RAFT_JOIN": raft_join,
                "RAFT_BOOTSTRAP_EXPECT": str(self._count),
                **self._extra_env,
            }
            nodes.append(
                WeaviateServer(
                    version=self._version,
                    binary=self._binary,
                    build=self._build,
                    extra_env=env,
                    log_level=self._log_level,
                    startup_timeout=self._startup_timeout,
                    stop_timeout=self._stop_timeout,
                    node_name=name,
                    ports=ports,
                    build_progress=self._build_progress,
                )
            )
        return nodes

    def _start_nodes(self, nodes: Sequence[WeaviateServer]) -> None:
        """Launch the nodes together (a node is ready only once the cluster has formed)."""
        for node in nodes:
            node.start(wait=False)
        for node in nodes:
            node.wait_ready()
        self._wait_members()

    def _wait_members(self) -> None:
        """Wait until the first live node reports every node HEALTHY (``/v1/nodes``)."""
        live = next((node for node in self._nodes if node.is_running), None)
        if live is None:
            return
        expected = {node.node_name for node in self._nodes if node.is_running}
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + self._startup_timeout
        healthy: set[str] = set()
        while time.monotonic() < deadline:
            with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
                with opener.open(live.url + "/v1/nodes", timeout=5) as response:
                    listed = json.loads(response.read())["nodes"]
                healthy = {n["name"] for n in listed if n.get("status") == "HEALTHY"}
                if expected <= healthy:
                    return
            time.sleep(0.2)
        msg = (
            f"the cluster did not report {sorted(expected)} HEALTHY within "
            f"{self._startup_timeout:.0f} s (healthy: {sorted(healthy)})"
        )
        raise RuntimeError(msg)


# -- command line ----------------------------------------------------------------------


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _disk_report(binary: Path) -> str:
    """What the build costs on disk: the cached binary and the Go caches."""
    parts = [f"{cache_root()}: {_human_bytes(disk_usage(cache_root()))} (the server binary)"]
    for name, path in go_cache_dirs().items():
        parts.append(f"{name}={path}: {_human_bytes(disk_usage(path))}")
    return (
        "disk used: " + "; ".join(parts) + f". Only {binary.name} is needed to run the "
        "tests; `go clean -cache -modcache` frees the Go caches (a later build downloads "
        "and compiles again)."
    )


def _cmd_build(args: argparse.Namespace) -> int:
    target = binary_path(args.version)
    cached = _is_executable(target)
    path = ensure_binary(
        args.version,
        output=_stderr_line if args.verbose else None,
        progress=_stderr_line,
        progress_interval=args.progress_interval,
    )
    if cached:
        _stderr_line(f"Weaviate v{args.version} is already built: {path}")
    if args.disk_usage:
        _stderr_line(_disk_report(path))
    sys.stdout.write(f"{path}\n")
    return 0


def _serve_target(args: argparse.Namespace) -> WeaviateServer | WeaviateCluster:
    if args.nodes > 1:
        if args.data_dir or args.api_key:
            msg = "--data-dir and --api-key are for a single node (--nodes 1)"
            raise RuntimeError(msg)
        return WeaviateCluster(args.nodes, version=args.version, log_level=args.log_level)
    return WeaviateServer(
        version=args.version,
        http_port=args.port or None,
        grpc_port=args.grpc_port or None,
        data_dir=args.data_dir,
        api_keys=args.api_key or None,
        log_level=args.log_level,
    )


def _describe(target: WeaviateServer | WeaviateCluster) -> str:
    nodes = target.nodes if isinstance(target, WeaviateCluster) else [target]
    lines = [
        f"  {node.node_name}: URL {node.url}  gRPC port {node.grpc_port}  "
        f"data {node.data_dir}  log {node.log_path}"
        for node in nodes
    ]
    first = nodes[0]
    lines.append(f"  export WEAVIATE_URL={first.url} WEAVIATE_GRPC_PORT={first.grpc_port}")
    return "\n".join(lines) + "\n"


def _cmd_serve(args: argparse.Namespace) -> int:
    target = _serve_target(args)
    stopping = False

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    started = time.monotonic()
    try:
        target.start()
        what = f"a {args.nodes}-node cluster" if args.nodes > 1 else "one node"
        sys.stdout.write(
            f"Weaviate v{args.version}, {what}, ready in {time.monotonic() - started:.1f} s\n"
            + _describe(target)
            + "Press Ctrl-C to stop (the data is deleted unless --data-dir was given).\n"
        )
        sys.stdout.flush()
        while not stopping:
            if not target.is_running:
                _stderr_line(f"a server exited; see its log above:\n{_describe(target)}")
                return 1
            time.sleep(0.5)
    finally:
        target.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line interface."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--version", default=DEFAULT_VERSION, help="Weaviate version")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser(
        "build", help="build (or find) the cached binary and print its path"
    )
    build.add_argument("--verbose", action="store_true", help="print every line of `go install`")
    build.add_argument(
        "--progress-interval",
        type=float,
        default=_PROGRESS_INTERVAL,
        help="seconds between two progress lines",
    )
    build.add_argument(
        "--disk-usage",
        action="store_true",
        help="print the disk space of the cached binary and of the Go caches (du)",
    )
    serve = commands.add_parser("serve", help="run a server in the foreground until Ctrl-C")
    serve.add_argument("--port", type=int, default=8080, help="REST port (0: a free port)")
    serve.add_argument("--grpc-port", type=int, default=50051, help="gRPC port (0: a free port)")
    serve.add_argument("--data-dir", help="keep data here (default: a temporary directory)")
    serve.add_argument("--api-key", action="append", help="require this API key (repeatable)")
    serve.add_argument("--log-level", default="info", help="Weaviate LOG_LEVEL")
    serve.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="run a cluster of this many nodes on free loopback ports (default: 1)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return _cmd_build(args)
        return _cmd_serve(args)
    except (RuntimeError, ValueError) as error:
        _stderr_line(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
