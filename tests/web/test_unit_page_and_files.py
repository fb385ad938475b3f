"""Đơn vị: addresses (bouncing marked), submissions by month with text and files, what
the unit was sent. Files are downloads with a safe type, never a page the browser runs."""

from __future__ import annotations

import re

from mailbot.demo.samples import JPEG
from tests.builders import make_mail
from tests.samples import at
from tests.web.office import Office


def test_the_unit_page_shows_addresses_submissions_files_and_sends(office: Office) -> None:
    html = office.client().get("/don-vi/hoa-nghia").text
    assert "UBND phường Hòa Nghĩa" in html
    assert re.search(r"vanthu.hoanghia@gmail.com\s*<span class=\"bounce\">", html)
    assert not re.search(r"ubndhoanghia@example.gov.vn\s*<span class=\"bounce\">", html)
    assert "Tháng 10/2023" in html and "ông Nguyễn Văn An" in html
    for name in ("Báo cáo thành tích.docx", "Danh sách.pdf", "IMG_2041.jpg"):
        assert name in html
    assert len(re.findall(r'<img class="thumb" src="/tep/\d+/anh"', html)) == 1
    assert "Báo đã nhận" in html  # the acknowledgement it was sent


def test_an_unknown_unit_or_file_is_404(office: Office) -> None:
    client = office.client()
    assert client.get("/don-vi/khong-co").status_code == 404
    assert client.get("/tep/99999").status_code == 404
    assert client.get("/tin/99999").status_code == 404


def _file_ids(office: Office, unit: str) -> dict[str, int]:
    html = office.client().get(f"/don-vi/{unit}").text
    return {name: int(i) for i, name in re.findall(r'<a href="/tep/(\d+)">([^<]+)</a>', html)}


def test_a_file_is_downloaded_as_an_attachment_with_its_vietnamese_name(
        office: Office) -> None:
    client = office.client()
    files = _file_ids(office, "hoa-nghia")
    response = client.get(f"/tep/{files['Báo cáo thành tích.docx']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20th%C3%A0nh%20t%C3%ADch.docx" in disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    photo = client.get(f"/tep/{files['IMG_2041.jpg']}/anh")
    assert photo.headers["content-type"] == "image/jpeg" and photo.content == JPEG


def test_a_hostile_html_attachment_is_never_served_as_html(office: Office) -> None:
    page = b"<html><script>alert(document.cookie)</script></html>"
    office.account.append(make_mail(
        attachments=[('"><img src=x onerror=alert(1)>.html', page, "text/html"),
                     ("fake.jpg", page, "image/jpeg")],
        message_id="<hostile-1@example.gov.vn>"), internaldate=at(15))
    office.bot("poll", now="2023-10-16T08:05")
    client = office.client()
    html = client.get("/don-vi/hoa-nghia").text
    assert "<img src=x onerror" not in html
    assert "___img src=x onerror=alert(1)_.html" in html  # names are made safe on filing
    ids = {name: i for name, i in _file_ids(office, "hoa-nghia").items()}
    hostile = next(i for name, i in ids.items() if name.endswith(".html"))
    response = client.get(f"/tep/{hostile}")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]
    fake = ids["fake.jpg"]
    assert client.get(f"/tep/{fake}").headers["content-type"] == "application/octet-stream"
    assert client.get(f"/tep/{fake}/anh").status_code == 404  # not really a photo
