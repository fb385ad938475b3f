"""Gói gửi Ban: the package exactly as it will be sent, its documents, approve or hold,
and afterwards what was sent and when."""

from __future__ import annotations

import html as htmllib
import re

from mailbot.adapters.db.digests import Digests
from mailbot.core.model import Period
from mailbot.jobs.digest import freeze
from tests.support import BOARD
from tests.web.office import NOW, Office, post

OCTOBER = Period(2023, 10)


def test_before_freezing_the_page_previews_what_the_package_would_hold(
        office: Office) -> None:
    html = office.client().get("/goi?period=2023-10").text
    assert "Chưa chốt (xem trước)" in html and "Duyệt gửi" not in html
    assert f"Đến: {BOARD}" in html
    assert "IMG_2041.jpg" in html or "Báo cáo thành tích.docx" in html
    srcdoc = re.search(r'<iframe class="preview" sandbox [^>]*srcdoc="([^"]*)"', html)
    assert srcdoc, "the email's HTML is shown in a sandboxed frame"
    body = htmllib.unescape(srcdoc.group(1))
    assert "UBND phường Hòa Nghĩa" in body and "BẢN XEM TRƯỚC" not in body


def test_the_documents_download_as_office_files(office: Office) -> None:
    client = office.client()
    for ext, kind in (("docx", "wordprocessingml"), ("xlsx", "spreadsheetml")):
        response = client.get(f"/goi/2023-10/tai-lieu.{ext}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.content[:2] == b"PK"
    assert client.get("/goi/2023-10/tai-lieu.exe").status_code == 404


def test_approving_a_frozen_package_and_holding_it_again(office: Office) -> None:
    freeze(office.app, OCTOBER, NOW)
    client = office.client()
    assert "/goi?period=2023-10" in client.get("/can-xu-ly").text  # waits for approval
    html = client.get("/goi").text
    assert "Đã chốt, chờ gửi" in html and "Duyệt gửi" in html
    response = post(client, "/goi/2023-10/duyet")
    assert response.headers["location"] == "/goi?period=2023-10"
    assert Digests(office.app.engine).get(OCTOBER).status == "approved"  # type: ignore[union-attr]
    html = client.get("/goi?period=2023-10").text
    assert "Đã duyệt gói tháng 10/2023" in html and "lan.nguyen" in html
    assert "/goi?period=2023-10" not in client.get("/can-xu-ly").text
    post(client, "/goi/2023-10/giu")
    assert Digests(office.app.engine).get(OCTOBER).status == "held"  # type: ignore[union-attr]


def test_a_package_not_yet_frozen_cannot_be_approved(office: Office) -> None:
    client = office.client()
    post(client, "/goi/2023-10/duyet")
    html = client.get("/goi?period=2023-10").text
    assert "Gói tháng này chưa được chốt" in html and "not compiled yet" in html
    assert Digests(office.app.engine).get(OCTOBER) is None


def test_after_sending_the_page_shows_what_was_sent_and_when(office: Office) -> None:
    freeze(office.app, OCTOBER, NOW)
    post(office.client(), "/goi/2023-10/duyet")
    office.bot("tick", now="2023-10-17T08:30")
    html = office.client().get("/goi?period=2023-10").text
    assert "Đã gửi" in html and "Duyệt gửi" not in html
    assert re.search(rf"<td>{re.escape(BOARD)}</td><td>[^<]+</td><td>Đã gửi</td>"
                     r"<td>17/10/2023 08:30</td>", html)
