"""Nhật ký shows every message, filterable; text that came in by mail is always escaped."""

from __future__ import annotations

import re

from tests.builders import make_mail
from tests.samples import at
from tests.web.office import Office, post

HOSTILE = '<script>alert("x")</script> Gương người tốt việc tốt tháng 10'


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr><td><a href="/tin/(\d+)">', html)}


def test_the_ledger_shows_every_message_with_its_disposition_and_reason(
        office: Office) -> None:
    html = office.client().get("/nhat-ky").text
    assert _ids(html) == set(office.ids.values())
    assert "Thư cũ (trước ngày bắt đầu)" in html and "Thư báo lỗi gửi" in html
    assert f"{len(office.ids)} thư" in html


def test_the_ledger_filters_by_disposition_month_and_words(office: Office) -> None:
    client = office.client()
    assert _ids(client.get("/nhat-ky?disposition=unmatched").text) == {office.ids["unmatched"]}
    october = _ids(client.get("/nhat-ky?period=2023-10&disposition=submission").text)
    assert office.ids["hoa-nghia"] in october and office.ids["next-month"] not in october
    assert _ids(client.get("/nhat-ky?q=giao+ban").text) == {office.ids["unrelated"]}
    assert _ids(client.get("/nhat-ky?q=GIAO+BAN").text) == {office.ids["unrelated"]}
    assert _ids(client.get("/nhat-ky?disposition=nonsense").text) == set(office.ids.values())


def test_a_hostile_subject_sender_and_body_are_escaped_everywhere(office: Office) -> None:
    office.account.append(make_mail(
        subject=HOSTILE, sender='"<b onmouseover=alert(1)>" <x@evil.example>',
        body="<script>alert('body')</script>\n", message_id="<evil-1@evil.example>",
        attachments=[("bao cao.pdf", b"%PDF-1.4", "application/pdf")]), internaldate=at(14))
    office.bot("poll", now="2023-10-16T08:05")
    (row,) = [r for r in office.bot.ledger() if r["message_id"] == "evil-1@evil.example"]
    assert row["disposition"] == "unmatched"
    client = office.client()
    for path in ("/nhat-ky", "/can-xu-ly", f"/tin/{row['id']}"):
        html = client.get(path).text
        assert "<script>" not in html, path
        assert "<b onmouseover" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    post(client, f"/tin/{row['id']}/assign", unit="tu-phap")
    for path in ("/don-vi/tu-phap", "/goi?period=2023-10"):
        html = client.get(path).text
        assert "<script>" not in html, path
    csp = client.get("/nhat-ky").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
