"""Documents of a delegation: scans checked by content (PDF, JPEG, PNG), stored by SHA-256 in the document
store (a folder or an S3 bucket, delegation/store/blobs.py), recorded on the delegation, and every download
written to the access log.

Files are content-addressed (documents/<first two hex digits>/<sha256>.<ext>), so an upload retried or
duplicated never produces two files. A file whose database row failed to commit stays as an unreferenced
blob; it is harmless, and `jiaodong documents verify` lists it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import filetype
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.core.access import Actor, Operation
from delegation.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from delegation.core.reference import Reference
from delegation.filing.reveal import download_log_row
from delegation.handling import service
from delegation.reading.delegations import authorized, load_authorized
from delegation.store import repository, sql
from delegation.store.blobs import BlobStore, verified
from delegation.store.tables import DelegationRow, DocumentRow

ALLOWED_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_UNSAFE = re.compile(r'[<>:"/\\|?*]')


class DocumentTooLarge(DomainError):
    code = "payload_too_large"
    title_zh = "文件过大"


class UnsupportedDocument(DomainError):
    code = "unsupported_media_type"
    title_zh = "只接受PDF、JPEG或PNG格式的扫描件"


def storage_key(sha256: str, ext: str) -> str:
    """Content-addressed: the same scan uploaded twice is one file."""
    return f"documents/{sha256[:2]}/{sha256}.{ext}"


def sanitize_filename(raw: str | None, ext: str) -> str:
    """A display name safe in any file system and header: no path, controls or reserved characters,
    at most 150 characters of stem, and the extension of the detected type."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(_UNSAFE.sub("_", name).split()).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:150] or "document"
    return f"{stem}.{ext}"


def detect_type(content: bytes) -> tuple[str, str]:
    """(mime type, extension) from the content's magic bytes; the name and the client's claim are ignored."""
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind is not None else None
    if mime not in ALLOWED_TYPES:
        raise UnsupportedDocument(
            f"Only PDF, JPEG and PNG scans are accepted; the content looks like {mime or 'something else'}."
        )
    return mime, ALLOWED_TYPES[mime]


@dataclass(frozen=True)
class MatterLimits:
    """How much one delegation may hold (JIAODONG_MAX_DOCUMENTS_PER_MATTER, _MAX_BYTES_PER_MATTER)."""

    documents: int = 50
    bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    kind: str
    filename: str | None
    content: bytes


@dataclass(frozen=True)
class Staged:
    """A checked scan already in the document store, not yet recorded on a delegation: what a filing form
    keeps of the files it was sent when it comes back with errors, to attach once the draft is saved."""

    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


def _check_file(item: Upload, max_bytes: int) -> tuple[str, str]:
    if item.kind not in DOCUMENT_KINDS:
        raise ValidationFailed([FieldError("kind", "材料类型无效", f"kind must be one of {', '.join(DOCUMENT_KINDS)}")])
    if len(item.content) > max_bytes:
        raise DocumentTooLarge(f"The file is larger than the limit of {max_bytes} bytes.", limit=max_bytes)
    if not item.content:
        raise ValidationFailed([FieldError("file", "文件为空", "The file is empty.")])
    return detect_type(item.content)


async def stage(item: Upload, store: BlobStore, max_bytes: int) -> Staged:
    """Check a scan (kind, size, type) and put it in the document store, for a delegation not saved yet.
    Content-addressed, so staging the same scan again stores nothing new; a staged file never attached is
    an unreferenced blob, harmless (jiaodong documents verify lists it)."""
    mime, ext = _check_file(item, max_bytes)
    sha256 = hashlib.sha256(item.content).hexdigest()
    key = storage_key(sha256, ext)
    await asyncio.to_thread(store.put, key, item.content)
    return Staged(item.kind, sanitize_filename(item.filename, ext), mime, len(item.content), sha256, key)


async def _may_add(
    session: AsyncSession, ref: Reference, actor: Actor, delegation_id: int, read: DelegationRow | None = None
) -> DelegationRow:
    """Who may add a document to the matter now (404, 403, or the matter closed); `read`: the row as already
    read (None: not read yet, or missing). Without `read`, the caller holds the row returned until the document
    is recorded: the session's identity map is weak, and record_document looks the row up again (without a
    query while it is held)."""
    if read is None:
        row = await load_authorized(session, ref, actor, delegation_id, Operation.UPLOAD_DOCUMENT)
    else:
        row = authorized(read, ref, actor, delegation_id, Operation.UPLOAD_DOCUMENT)
    await service.may_add_document(session, ref, actor, delegation_id, read)
    return row


async def _has_room(session: AsyncSession, delegation_id: int, size: int, limits: MatterLimits) -> None:
    """Whether the matter holds fewer documents than its limit and has room for `size` more bytes."""
    count, total = await repository.document_totals(session, delegation_id)
    _check_room(count, total, size, limits)


def _check_room(count: int, total: int, size: int, limits: MatterLimits) -> None:
    if count >= limits.documents:
        raise ValidationFailed(
            [
                FieldError(
                    "file",
                    f"每件委托最多上传{limits.documents}份文书",
                    f"A delegation holds at most {limits.documents} documents.",
                )
            ]
        )
    if total + size > limits.bytes:
        raise DocumentTooLarge(
            f"The delegation's documents would exceed {limits.bytes} bytes in all.",
            title_zh="该委托的文书总量已达上限",
            limit=limits.bytes,
        )


async def upload(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    item: Upload,
    store: BlobStore,
    max_bytes: int,
    limits: MatterLimits | None = None,
) -> DocumentRow:
    """Store a scan and record it. Every check (who, the matter's state, kind, size, type, the matter's
    totals) passes before the file is written: a refused upload leaves nothing in the store. The file is
    then written durably under its key (one hop to a worker thread: the fsyncs block), and the row naming it
    is written only after that.

    Why not write the file while the database answers the checks: measured on 2 cores, the worker thread
    waits for the event loop to let go of the GIL (~0.5 ms) and the overlap never happened, while a second
    hop to rename the file cost ~0.4 ms more; one hop after the checks is faster one at a time and cheaper
    in CPU under load (bench/README.md, 2026-12-08)."""
    limits = limits or MatterLimits()
    try:
        mime, ext = _check_file(item, max_bytes)
    except DomainError as exc:  # raised after the checks of who may upload (their answer comes first)
        refused: DomainError | None = exc
    else:
        refused = None
    # Reads, then one statement writes the document and its event: no transaction needed around them.
    await sql.outside_transaction(session)
    # The row and the matter's totals in one query; the checks and the record take the row as read.
    loaded = await repository.with_document_totals(session, delegation_id)
    row = await _may_add(session, ref, actor, delegation_id, loaded[0] if loaded else None)
    if refused is not None:
        raise refused
    if loaded is None:  # not reached: _may_add refused a missing row
        raise NotFound(f"Delegation {delegation_id} not found.")
    _check_room(loaded[1], loaded[2], len(item.content), limits)
    sha256 = hashlib.sha256(item.content).hexdigest()
    key = storage_key(sha256, ext)
    await asyncio.to_thread(store.put, key, item.content)
    staged = Staged(item.kind, sanitize_filename(item.filename, ext), mime, len(item.content), sha256, key)
    return await _record(session, ref, actor, now, delegation_id, staged, row)


async def attach(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    staged: Staged,
    store: BlobStore,
    limits: MatterLimits | None = None,
) -> DocumentRow:
    """Record a staged scan on a delegation, with the checks of an upload (who, state, totals), once its
    file is confirmed to be in the store."""
    row = await _may_add(session, ref, actor, delegation_id)
    await _has_room(session, delegation_id, staged.size, limits or MatterLimits())
    if staged.kind not in DOCUMENT_KINDS or not await asyncio.to_thread(store.exists, staged.storage_key):
        raise ValidationFailed(
            [FieldError("file", "文件已失效，请重新选择", "The kept file is gone; choose it again.")]
        )
    recorded = await _record(session, ref, actor, now, delegation_id, staged)
    del row  # held until here (see _may_add)
    return recorded


async def _record(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    staged: Staged,
    row: DelegationRow | None = None,
) -> DocumentRow:
    return await service.record_document(
        session,
        ref,
        actor,
        now,
        delegation_id,
        kind=staged.kind,
        filename=staged.filename,
        content_type=staged.content_type,
        size=staged.size,
        sha256=staged.sha256,
        storage_key=staged.storage_key,
        row=row,
    )


async def open_document(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    document_id: int,
    store: BlobStore,
    address: str = "",
) -> tuple[DocumentRow, Iterator[bytes]]:
    """The document and its content (chunks, verified against the recorded SHA-256 as they are read), after
    writing the download to the access log."""
    row = await load_authorized(session, ref, actor, delegation_id, Operation.DOWNLOAD_DOCUMENT)
    stmt = select(DocumentRow).where(DocumentRow.id == document_id, DocumentRow.delegation_id == delegation_id)
    document = (await session.exec(stmt)).first()
    if document is None:
        raise NotFound(f"Document {document_id} not found on delegation {delegation_id}.")
    if not await asyncio.to_thread(store.exists, document.storage_key):
        raise NotFound(f"The file of document {document_id} is missing from the document store.")
    session.add(download_log_row(actor, row, ref, now, document_id, address))
    await session.commit()
    return document, verified(store.chunks(document.storage_key), document.sha256)
