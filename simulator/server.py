"""HTTPS mount: the simulator core behind a threaded HTTP/1.1 server on 127.0.0.1, with a local CA.

Bearer-token clients refuse plain http://, so the server always speaks TLS; clients get
`connection_verify=<ca file>`.
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import trustme

from simulator.core import Simulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes on a kept-alive connection: with Nagle's algorithm on,
    # the client's delayed ACK stalls every response by ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        answer = self.server.simulator.handle(self.command, url.path, url.query, dict(self.headers.items()), body)
        if answer.drop:
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(answer.status)
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: Simulator

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (a timeout, an injected dropped connection) is part of the simulation,
        # not an error worth a traceback.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class SimulatorServer:
    """`with SimulatorServer(sim) as srv:` serves on `srv.base_url`; `srv.ca_file` verifies it."""

    def __init__(self, simulator: Simulator, *, port: int = 0, workdir: Path | None = None) -> None:
        self.simulator = simulator
        self._dir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="driftguard-sim-"))
        self._dir.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = str(self._dir / "simulator-ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.simulator = simulator
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def replace_simulator(self, simulator: Simulator) -> None:
        """Serves another estate from the next request on (a test's next run), on the same port and CA."""
        self.simulator = simulator
        self._httpd.simulator = simulator

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="simulator-https", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
