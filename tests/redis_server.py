"""A real redis-server process for tests: free loopback port, no persistence, killable."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support import free_port


class RedisServer:
    def __init__(
        self, *, port: int | None = None, password: str | None = None, tls_dir: Path | None = None
    ) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError(
                "redis-server is not installed: run ./scripts/test, which installs it"
            )
        self.port = port or free_port()
        self.password = password
        self.tls_dir = tls_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls_dir:
            return (
                f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self.tls_dir / 'cert.pem'}"
            )
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if self.tls_dir:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"]
            args += ["--tls-cert-file", str(self.tls_dir / "cert.pem")]
            args += ["--tls-key-file", str(self.tls_dir / "key.pem")]
        else:
            args += ["--port", str(self.port)]
        if self.password:
            args += ["--requirepass", self.password]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start listening")

    def stop(self) -> None:
        """Kill it the hard way, as a crash or a network cut would."""
        if self._process and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


def make_tls_files(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder
