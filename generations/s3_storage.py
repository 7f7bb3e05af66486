"""Media in an S3-compatible bucket: django-storages' backend, as the studio needs it.

settings.py switches to it when AWS_STORAGE_BUCKET_NAME is set. Three things differ from the
stock backend: a file opened for reading streams from the bucket (one GetObject with a Range from
the current offset) instead of being downloaded whole first, so the media view serves any range
of a clip in constant memory; a file on disk is uploaded a part at a time as it is sent, and any
other content with at most two parts in memory; and a file's URL is the studio's own /media/
view, never the bucket, which stays private.
"""

from __future__ import annotations

import io
import os
from typing import IO, Any, cast
from urllib.parse import urljoin

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files import File
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PART_BYTES = 8 * 1024 * 1024
# Parts of an upload from memory held at once (and sent in parallel), however big the content.
PARTS_IN_MEMORY = 2


def status_of(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def local_path(content: File) -> str | None:
    """Where the content is on this machine's disk, if it is a whole file there."""
    if hasattr(content, "temporary_file_path"):  # an upload Django spilled to disk
        return content.temporary_file_path()
    name = getattr(getattr(content, "file", None), "name", None)
    return name if isinstance(name, str) and os.path.isfile(name) else None


class S3ObjectReader(io.RawIOBase):
    """An object in the bucket read as a stream from the current offset: the first read after a
    seek asks for `bytes=offset-`, and each read takes only what it is asked for from the answer."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj  # a boto3 Object resource; nothing is asked of S3 until the first read
        self.position = 0
        self.body: Any = None
        self.at_end = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self.position
        elif whence == io.SEEK_END:
            offset += self.object_size()
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        if offset != self.position:
            self._drop_body()  # the open answer starts elsewhere: the next read asks again
            self.position = offset
        return self.position

    def object_size(self) -> int:
        try:
            return int(self.obj.content_length)  # one HEAD, remembered by the resource
        except ClientError as error:
            if status_of(error) == 404:
                raise FileNotFoundError(f"{self.obj.key} is not in the bucket") from None
            raise

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed file")
        if self.body is None and not self.at_end:
            self._open_body()
        if self.body is None:
            return b""
        data = self.body.read(None if size is None or size < 0 else size)
        self.position += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _open_body(self) -> None:
        try:
            # From the start, no Range: an empty object has no byte 0 to ask for.
            answer = self.obj.get(**({"Range": f"bytes={self.position}-"} if self.position else {}))
        except ClientError as error:
            if status_of(error) == 416:  # at or past the end
                self.at_end = True
                return
            if status_of(error) == 404:
                raise FileNotFoundError(f"{self.obj.key} is not in the bucket") from None
            raise
        self.body = answer["Body"]

    def _drop_body(self) -> None:
        # Closing an answer not read to the end drops its connection: S3 stops sending.
        if self.body is not None:
            self.body.close()
        self.body = None
        self.at_end = False


class S3MediaStorage(S3Storage):
    """Clips, posters and first frames in a private bucket (credentials from the environment)."""

    client_config: Config  # set from the options by django-storages

    def get_default_settings(self) -> dict[str, Any]:
        transfer = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=PARTS_IN_MEMORY,
        )
        transfer.max_in_memory_upload_chunks = PARTS_IN_MEMORY
        return {
            **super().get_default_settings(),
            # A second file under a taken name gets a name of its own, as on disk.
            "file_overwrite": False,
            # No ACL sent: objects take the bucket's own, private unless someone opened it (and
            # buckets with ACLs disabled, AWS's default, refuse uploads that name one).
            "default_acl": None,
            "transfer_config": transfer,
        }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # An unreachable bucket fails a request in seconds rather than holding a web thread.
        self.client_config = self.client_config.merge(
            Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard"})
        )

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        reader = S3ObjectReader(self.bucket.Object(key))
        stream = reader if "b" in mode else io.TextIOWrapper(io.BufferedReader(reader))
        return File(cast(IO[Any], stream), name)

    def _save(self, name: str, content: File) -> str:
        path = local_path(content)
        if path is None:
            return super()._save(name, content)
        # From a file on disk, s3transfer reads each part as it sends it: a few MB in memory
        # for a clip of any size (a file object would have whole parts read into memory).
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        self.bucket.Object(key).upload_file(
            path, ExtraArgs=self._get_write_parameters(key, content), Config=self.transfer_config
        )
        return cleaned

    def size(self, name: str) -> int:
        try:
            return super().size(name)
        except ClientError as error:
            if status_of(error) == 400:  # a name S3 cannot hold (too long, say): no such file
                raise FileNotFoundError(name) from None
            raise

    def url(self, name: str | None, parameters: Any = None, expire: Any = None, **_: Any) -> str:
        """The studio's own /media/ view, which serves members only."""
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name or "").lstrip("/"))
