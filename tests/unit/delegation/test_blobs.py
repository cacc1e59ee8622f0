"""The document store's pure parts: streamed reads verified against the recorded digest; the local folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from delegation.store.blobs import BlobAltered, BlobMissing, LocalBlobStore, digest_of, verified


def test_a_verified_read_yields_every_chunk_when_the_digest_matches() -> None:
    parts = [b"abc", b"def", b"g"]
    assert list(verified(iter(parts), hashlib.sha256(b"abcdefg").hexdigest())) == parts


def test_a_verified_read_holds_back_the_last_chunk_of_an_altered_file() -> None:
    received: list[bytes] = []
    with pytest.raises(BlobAltered):  # noqa: PT012  (the chunks read before the check are the point)
        for chunk in verified(iter([b"abc", b"def", b"g"]), hashlib.sha256(b"abcdefX").hexdigest()):
            received.append(chunk)
    assert received == [b"abc", b"def"]  # never the whole altered file


def test_the_local_store_writes_once_reads_in_chunks_and_lists_its_keys(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("documents/ab/x.pdf", b"%PDF-1")
    store.put("documents/ab/x.pdf", b"ignored: the key is content-addressed")
    assert store.exists("documents/ab/x.pdf") and not store.exists("documents/ab/y.pdf")
    assert b"".join(store.chunks("documents/ab/x.pdf")) == b"%PDF-1"
    assert digest_of(store, "documents/ab/x.pdf") == hashlib.sha256(b"%PDF-1").hexdigest()
    assert list(store.keys("documents/")) == ["documents/ab/x.pdf"]
    with pytest.raises(BlobMissing):
        list(store.chunks("documents/ab/y.pdf"))
    with pytest.raises(BlobMissing):
        list(store.chunks("../outside.pdf"))


@pytest.mark.parametrize(
    "key", ["../outside.pdf", "documents/../../x.pdf", "/etc/passwd", "documents//x.pdf", "documents/.upload-x", "a\\b"]
)
def test_the_local_store_refuses_keys_that_could_leave_its_folder_or_name_a_temporary_file(
    tmp_path: Path, key: str
) -> None:
    store = LocalBlobStore(tmp_path / "store")
    (tmp_path / "outside.pdf").write_bytes(b"%PDF-secret")
    assert not store.exists(key)
    with pytest.raises(BlobMissing):
        list(store.chunks(key))
    with pytest.raises(BlobMissing):
        store.put(key, b"%PDF-1")
    assert not list(tmp_path.rglob("x.pdf"))


def test_the_local_store_makes_a_file_its_name_and_every_folder_it_created_durable_before_put_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    store = LocalBlobStore(tmp_path)
    store.put("documents/ab/x.pdf", b"%PDF-1")
    assert synced[:2] == [str(tmp_path), str(tmp_path / "documents")]  # the new folders' entries
    assert synced[2].startswith(str(tmp_path / "documents" / "ab" / ".upload-"))  # the content, before its rename
    assert synced[3:] == [str(tmp_path / "documents" / "ab")]  # the rename, before the row naming the key commits
    assert (tmp_path / "documents" / "ab" / "x.pdf").read_bytes() == b"%PDF-1"
    assert [p.name for p in (tmp_path / "documents" / "ab").iterdir()] == ["x.pdf"]  # no temporary file left
    del synced[:]
    store.put("documents/ab/y.pdf", b"%PDF-2")  # an existing folder is not synced again
    assert len(synced) == 2 and synced[0].startswith(str(tmp_path / "documents" / "ab" / ".upload-"))
    assert synced[1] == str(tmp_path / "documents" / "ab")
