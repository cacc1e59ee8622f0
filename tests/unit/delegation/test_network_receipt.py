"""The 网络查控回执: each asset's answer in Chinese with the registry's receipt number, as a valid PDF."""

from __future__ import annotations

from delegation.network.receipt import ReceiptLine, pdf, receipt_lines


def test_the_receipt_names_each_answer_in_chinese_with_its_receipt_number() -> None:
    lines = receipt_lines(
        "烟台市芝罘区人民法院",
        "JD2026-0000031",
        "（2026）鲁0202执77号",
        "烟台市公安局交警支队车管所",
        "2026-03-03 10:15",
        [
            ReceiptLine("鲁F12345", "already_sealed", "YAVE4471029836", "已办理：鲁F12345 大众帕萨特，轮候"),
            ReceiptLine("鲁F45678", "timeout", "", "登记机关超时未答复"),
        ],
    )
    assert lines[:2] == ["烟台市芝罘区人民法院", "网络查控回执"]
    text = "".join(lines)  # long lines are wrapped at 38 characters
    assert "1. 鲁F12345：已被其他法院查封，本次轮候，回执号 YAVE4471029836" in text
    assert "2. 鲁F45678：timeout，回执号 无" in text  # a code the registry never answers stays as it is
    document = pdf(lines)
    assert document.startswith(b"%PDF-1.4") and document.rstrip().endswith(b"%%EOF")
    assert b"/UniGB-UCS2-H" in document and b"5DF288AB51764ED66CD5966267E55C01" in document  # 已被其他法院查封 in UCS-2
