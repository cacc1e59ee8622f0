"""The 网络查控回执 as a PDF: the registry's receipts per asset, printed as the assisting court's 回执 so that the
matter completes like one handled by hand (handling.rules.complete wants a receipt of the assisting court).

Pure and dependency-free: a one-page-per-40-lines PDF in the standard CJK font STSong-Light (Adobe-GB1,
UniGB-UCS2-H), which every PDF reader supplies, so nothing is embedded and no font file is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LINES_PER_PAGE = 40


@dataclass(frozen=True)
class ReceiptLine:
    asset: str
    code: str
    receipt_no: str
    text: str


# The registry's answer codes (model.AnswerCode) as the receipt prints them.
ANSWER_WORDS = {
    "found": "已按请求办理",
    "partial": "部分办理",
    "not_found": "未查到登记",
    "already_sealed": "已被其他法院查封，本次轮候",
    "rejected": "登记机关拒收",
    "error": "登记机关系统故障",
    "closed": "登记机关非工作时间",
}


def _hex(text: str) -> str:
    # UCS-2 big-endian; characters outside the BMP cannot be shown by UniGB-UCS2-H and become "?".
    return "".join(f"{ord(ch):04X}" if ord(ch) <= 0xFFFF else "003F" for ch in text)


def _wrap(text: str, width: int = 38) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def receipt_lines(
    court_name: str, number: str, case_number: str, registry: str, answered: str, lines: Sequence[ReceiptLine]
) -> list[str]:
    out = [f"{court_name}", "网络查控回执", "", f"委托编号：{number}", f"案号：{case_number}", f"登记机关：{registry}"]
    out += [f"答复时间：{answered}", ""]
    for n, line in enumerate(lines, start=1):
        word = ANSWER_WORDS.get(line.code, line.code or "未答复")
        out += _wrap(f"{n}. {line.asset}：{word}，回执号 {line.receipt_no or '无'}")
        out += _wrap(f"   {line.text}")
    out += ["", "本回执由网络查控系统依登记机关电子回执生成。"]
    return out


def pdf(lines: Sequence[str]) -> bytes:
    """A minimal, valid PDF 1.4 of these lines (A4, 12 pt)."""
    pages = [list(lines[i : i + LINES_PER_PAGE]) for i in range(0, max(len(lines), 1), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    catalog = add("")  # filled below, once the page tree's number is known
    font = add(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        "/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> >>] >>"
    )
    tree = add("")
    kids: list[int] = []
    for page_lines in pages:
        ops = ["BT", "/F1 12 Tf", "16 TL", "60 780 Td"]
        for i, text in enumerate(page_lines):
            ops.append(f"<{_hex(text)}> Tj" if i == 0 else f"T* <{_hex(text)}> Tj")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode("latin-1")
    objects[tree - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode(
        "latin-1"
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)
