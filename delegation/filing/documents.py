"""Documents of a delegation: scans checked by content (PDF, JPEG, PNG), stored by SHA-256 under the data
folder, recorded on the delegation, and every download written to the access log.

Files are content-addressed (documents/<first two hex digits>/<sha256>.<ext>) and written atomically, so
an upload retried or duplicated never produces two files. A file whose database row failed to commit stays
as an unreferenced blob; it is harmless and can be swept by comparing the folder with the document table.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from delegation.catalogue.fields import DOCUMENT_KINDS
from delegation.core.access import Actor, Operation
from delegation.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from delegation.core.reference import Reference
from delegation.filing.reveal import download_log_row
from delegation.handling import service
from delegation.reading.delegations import load_authorized
from delegation.store.tables import DocumentRow

ALLOWED_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_UNSAFE = re.compile(r'[<>:"/\\|?*]')


class DocumentTooLarge(DomainError):
    code = "payload_too_large"
    title_zh = "文件过大"


class UnsupportedDocument(DomainError):
    code = "unsupported_media_type"
    title_zh = "只接受PDF、JPEG或PNG格式的扫描件"


class FileStore:
    """Content-addressed files under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, sha256: str, ext: str, content: bytes) -> str:
        key = f"documents/{sha256[:2]}/{sha256}.{ext}"
        target = self.root / key
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        found = (root / key).resolve()
        if root not in found.parents:
            raise NotFound("The document's file is not in the document store.")
        return found


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
class Upload:
    kind: str
    filename: str | None
    content: bytes


async def upload(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    item: Upload,
    store: FileStore,
    max_bytes: int,
) -> DocumentRow:
    # Held in a variable: the session's identity map is weak, and record_document looks the row up again.
    _row = await load_authorized(session, ref, actor, delegation_id, Operation.UPLOAD_DOCUMENT)
    if item.kind not in DOCUMENT_KINDS:
        raise ValidationFailed([FieldError("kind", "材料类型无效", f"kind must be one of {', '.join(DOCUMENT_KINDS)}")])
    if len(item.content) > max_bytes:
        raise DocumentTooLarge(f"The file is larger than the limit of {max_bytes} bytes.", limit=max_bytes)
    if not item.content:
        raise ValidationFailed([FieldError("file", "文件为空", "The file is empty.")])
    mime, ext = detect_type(item.content)
    sha256 = hashlib.sha256(item.content).hexdigest()
    key = await asyncio.to_thread(store.put, sha256, ext, item.content)
    return await service.record_document(
        session,
        ref,
        actor,
        now,
        delegation_id,
        kind=item.kind,
        filename=sanitize_filename(item.filename, ext),
        content_type=mime,
        size=len(item.content),
        sha256=sha256,
        storage_key=key,
    )


async def open_document(
    session: AsyncSession,
    ref: Reference,
    actor: Actor,
    now: datetime,
    delegation_id: int,
    document_id: int,
    store: FileStore,
    address: str = "",
) -> tuple[DocumentRow, Path]:
    """The document and its file, after writing the download to the access log."""
    row = await load_authorized(session, ref, actor, delegation_id, Operation.DOWNLOAD_DOCUMENT)
    stmt = select(DocumentRow).where(DocumentRow.id == document_id, DocumentRow.delegation_id == delegation_id)
    document = (await session.exec(stmt)).first()
    if document is None:
        raise NotFound(f"Document {document_id} not found on delegation {delegation_id}.")
    path = store.path(document.storage_key)
    if not path.is_file():
        raise NotFound(f"The file of document {document_id} is missing from the document store.")
    session.add(download_log_row(actor, row, ref, now, document_id, address))
    await session.commit()
    return document, path
