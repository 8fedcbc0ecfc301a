"""Helpers for the remote tests: a moto S3 server process, a TCP proxy that can cut the line, clones."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_datavc.core.repo import Repo

HERE = Path(__file__).resolve().parent
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",  # never ask 169.254.169.254 for credentials
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
}


class S3Server:
    """``tests/core/s3_server.py`` (moto, server mode) on 127.0.0.1; stops when ``stop`` closes its stdin."""

    def __init__(self, auth: bool = False) -> None:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        if auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # moto then checks access keys like S3 does
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "s3_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        if not ready:
            self.stop()
            raise RuntimeError("moto server did not start within 60 s")
        self.port = int(self.proc.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def fs(self, **options: Any) -> Any:
        import s3fs

        return s3fs.S3FileSystem(endpoint_url=self.endpoint, skip_instance_cache=True, **options)

    def new_bucket(self) -> str:
        name = f"bkt-{uuid.uuid4().hex[:12]}"
        self.fs().mkdir(name)
        return name

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Proxy:
    """A TCP forwarder on 127.0.0.1 to ``port``; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                if not self.open:
                    client.close()
                    upstream.close()
                    return
                self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            self.open = False
            self.listener.close()
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def clone(src: Repo, dest: Path) -> Repo:
    """What ``git clone`` gives another machine: config.json and refs/ only, no objects or manifests."""
    (dest / ".datavc").mkdir(parents=True)
    shutil.copy(src.dir / "config.json", dest / ".datavc" / "config.json")
    if (src.dir / "refs").is_dir():
        shutil.copytree(src.dir / "refs", dest / ".datavc" / "refs")
    return Repo(dest)


def python(
    code: str, cwd: Path, env: dict[str, str] | None = None, args: list[str] | None = None
) -> subprocess.Popen[str]:
    """Start ``code`` in a fresh interpreter (a separate writer process) with ``sys.argv[1:] == args``."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *(args or [])],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
