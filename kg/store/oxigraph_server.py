"""A managed ``oxigraph serve`` process: the SPARQL server that several lcgraph workers can share.

The ``oxigraph`` PyPI package ships the server binary. Tests, benchmarks and ``lcgraph`` itself use
this class to run one on loopback, wait until it answers, and stop it again, so nothing is left
running when the owner exits.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType

from kg.errors import StoreUnavailable


def oxigraph_binary() -> str:
    """Find the ``oxigraph`` executable: beside this interpreter first (the venv), then on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise StoreUnavailable(
            "the oxigraph server binary was not found; install it with `pip install oxigraph`",
            where="PATH",
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a TCP port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class OxigraphServer:
    """Run ``oxigraph serve`` on ``host:port`` over ``location`` (in memory when ``None``).

    Use it as a context manager, or call ``start`` and ``stop``. ``url`` is the server's base URL;
    its SPARQL endpoints are ``url + "/query"``, ``url + "/update"`` and ``url + "/store"``.

    Args:
        location: data directory, created if missing; ``None`` keeps the data in memory.
        host: interface to bind (loopback by default; tests must not bind anything else).
        port: TCP port; ``None`` picks a free one.
        timeout_s: the server's own per-query time limit.
        startup_s: how long ``start`` waits for the server to answer.
        log_path: file receiving the server's output (discarded when ``None``).
        union_default_graph: queries see the union of all graphs by default (``--union-default-graph``).
    """

    def __init__(
        self,
        location: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        timeout_s: float | None = None,
        startup_s: float = 30.0,
        log_path: Path | None = None,
        union_default_graph: bool = False,
    ) -> None:
        self.location = location
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.timeout_s = timeout_s
        self.startup_s = startup_s
        self.log_path = log_path
        self.union_default_graph = union_default_graph
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, ``None`` when stopped."""
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """Build the command line that starts the server."""
        cmd = [oxigraph_binary(), "serve", "--bind", f"{self.host}:{self.port}"]
        if self.location is not None:
            self.location.mkdir(parents=True, exist_ok=True)
            cmd += ["--location", str(self.location)]
        if self.timeout_s is not None:
            cmd += ["--timeout-s", str(max(1, round(self.timeout_s)))]
        if self.union_default_graph:
            cmd.append("--union-default-graph")
        return cmd

    def start(self) -> OxigraphServer:
        """Start the server and wait until it answers a query; raise ``StoreUnavailable`` if not."""
        if self._process is not None:
            return self
        out = open(self.log_path, "ab") if self.log_path is not None else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        finally:
            if self.log_path is not None and not isinstance(out, int):
                out.close()
        deadline = time.monotonic() + self.startup_s
        probe = self.url + "/query?query=" + urllib.parse.quote("ASK {}")
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise StoreUnavailable(
                    f"oxigraph serve exited with code {code} (is the directory locked or the port taken?)",
                    where=str(self.location or self.url),
                )
            try:
                with urllib.request.urlopen(probe, timeout=1.0) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise StoreUnavailable(f"oxigraph serve did not answer within {self.startup_s:.0f} s", where=self.url)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
