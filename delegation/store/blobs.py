"""Where document files live: a folder (the embedded default) or an S3-compatible object store (MinIO in the
compose stack, any S3 in production), behind one interface chosen by configuration.

Keys are content-addressed (`documents/ab/<sha256>.pdf`), so a retried upload writes the same key and never
two files. Reads stream in chunks and verify the SHA-256 the database recorded: the last chunk is held back
until the digest matches, so a client never receives an altered file in full (it sees a broken transfer, and
the failure is logged). `jiaodong documents verify` walks a store against the database.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CHUNK_BYTES = 64 * 1024
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


class BlobMissing(Exception):
    """No file under the key."""


class BlobAltered(Exception):
    """The file's content no longer has the digest recorded for it."""


class BlobStore(Protocol):
    """A flat namespace of immutable files."""

    name: str

    def put(self, key: str, content: bytes) -> None:
        """Store the content under the key, durably, once `put` returns (it blocks: off the event loop).
        Readers of the key never see a partial file."""
        ...

    def exists(self, key: str) -> bool: ...

    def chunks(self, key: str) -> Iterator[bytes]:
        """The file's bytes in chunks; BlobMissing when absent."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...


def verified(chunks: Iterator[bytes], sha256: str) -> Iterator[bytes]:
    """The chunks, with the last one held back until the whole content has the expected digest."""
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in chunks:
        digest.update(chunk)
        if held is not None:
            yield held
        held = chunk
    if digest.hexdigest() != sha256:
        raise BlobAltered(f"content digest {digest.hexdigest()} differs from the recorded {sha256}")
    if held is not None:
        yield held


def digest_of(store: BlobStore, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in store.chunks(key):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LocalBlobStore:
    """Files under one root folder, written atomically and durably (temporary file, fsync, rename, fsync of the
    folder)."""

    root: Path
    name: str = "local"
    _resolved: Path | None = field(default=None, init=False, repr=False)

    def _path(self, key: str) -> Path:
        """The key's file. Checked by its spelling, not by resolving it (a system call per folder of the path
        on every upload): segments of letters, digits, `.`, `_` and `-` that start with neither `.` nor `-`
        cannot leave the root or name a temporary file."""
        if not all(_KEY_SEGMENT.fullmatch(segment) for segment in key.split("/")):
            raise BlobMissing(f"{key!r} is not a key of this store (or is outside it)")
        if self._resolved is None:
            self._resolved = self.root.resolve()
        return self._resolved / key

    def put(self, key: str, content: bytes) -> None:
        """The content in a temporary file beside its key's, fsynced, renamed to the key (atomic), and the
        rename made durable (an fsync of its folder) before `put` returns: the row naming the key commits
        after, so a machine crash cannot leave a row pointing at no file. Content-addressed keys: a key that
        already holds a file holds this content, and nothing is written."""
        target = self._path(key)
        if target.exists():
            return
        _make_folder(target.parent)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except BlobMissing:
            return False

    def chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise BlobMissing(key) from exc
        with handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = self.root.resolve()
        start = base / prefix if prefix else base
        if not start.exists():
            return
        for path in sorted(start.rglob("*")):
            if path.is_file() and not path.name.startswith(".upload-"):
                yield path.relative_to(base).as_posix()


def _fsync_folder(folder: Path) -> None:
    """Make the entries of a folder durable (a rename or a new file in it survives a crash)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_folder(folder: Path) -> None:
    """Create the folder and any missing parent, each made durable in its own parent before a file goes in."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        _fsync_folder(created.parent)


@dataclass
class S3BlobStore:
    """Objects in one bucket of an S3-compatible store (boto3; credentials from the standard AWS_* variables
    or the instance's role, never from our database)."""

    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    prefix: str = ""
    name: str = "s3"
    _client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region)
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=content,
            Metadata={"sha256": hashlib.sha256(content).hexdigest()},
        )

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def chunks(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise BlobMissing(key) from exc
            raise
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]


def make_blob_store(
    kind: str, data_dir: Path, bucket: str | None = None, endpoint_url: str | None = None, region: str | None = None
) -> BlobStore:
    """The configured store: `local` (files under the data folder) or `s3` (a bucket)."""
    if kind == "local":
        return LocalBlobStore(data_dir)
    if kind == "s3":
        if not bucket:
            raise ValueError("JIAODONG_STORAGE=s3 needs JIAODONG_S3_BUCKET")
        return S3BlobStore(bucket=bucket, endpoint_url=endpoint_url, region=region)
    raise ValueError(f"unknown storage {kind!r}: use local or s3")
