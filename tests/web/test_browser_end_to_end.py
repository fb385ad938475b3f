"""End to end in a real headless browser (Debian's chromium, driven by Playwright):
a new staff member logs in, settles an unmatched message, approves the package, and
the month view is really drawn (a screenshot with the statuses' colours in it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailbot.adapters.db.digests import Digests
from mailbot.core.model import Period
from mailbot.jobs.digest import freeze
from mailbot.web.app import Background
from tests.servers import free_port
from tests.servers.browser import png_pixels
from tests.web.office import NOW, PASSWORD, USER, Office

GREEN, RED_HEADER = (0xC8, 0xEB, 0xD0), (0x8B, 0x1A, 0x1A)  # on-time badge, the header


@pytest.fixture
def site(office: Office) -> Iterator[str]:
    server = Background(office.app, "127.0.0.1", free_port(), clock=lambda: NOW).start()
    yield f"http://127.0.0.1:{server.server.config.port}"
    server.stop()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_new_staff_member_logs_in_settles_the_queue_and_approves_the_package(
        office: Office, site: str, page: Any, tmp_path: Path) -> None:
    page.goto(f"{site}/thang")
    assert "/dang-nhap" in page.url
    page.get_by_label("Tên đăng nhập").fill(USER)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{site}/thang")
    assert "Tháng 10/2023" in page.locator("h1").inner_text()
    assert "UBND phường Hòa Nghĩa" in page.content()

    page.get_by_role("link", name="Cần xử lý").first.click()
    row = page.locator("tr", has_text="nguyenvana@gmail.com")
    row.get_by_label("Đơn vị").select_option(value="hoa-nghia")
    row.get_by_role("checkbox").check()
    row.get_by_role("button", name="Gán cho đơn vị").click()
    assert "nay là “Bài nộp”" in page.get_by_role("status").first.inner_text()
    assert (office.row("unmatched")["disposition"], office.row("unmatched")["unit"]) == (
        "submission", "hoa-nghia")

    freeze(office.app, Period(2023, 10), NOW)  # the day before the package goes
    page.get_by_role("link", name="Gói gửi Ban").click()
    assert "Đã chốt, chờ gửi" in page.content()
    preview = page.frame_locator("iframe.preview").first.locator("body").inner_text()
    assert "UBND phường Hòa Nghĩa" in preview  # the email's own HTML, drawn in the frame
    page.get_by_role("button", name="Duyệt gửi").click()
    assert "Đã duyệt gói tháng 10/2023" in page.get_by_role("status").first.inner_text()
    assert Digests(office.app.engine).get(Period(2023, 10)).status == "approved"  # type: ignore[union-attr]

    page.get_by_role("link", name="Tháng này").click()
    page.wait_for_url(f"{site}/thang")
    # October is compiled: mail now counts for November; October is one click back.
    assert "Tháng 11/2023 (tháng này)" in page.locator("h1").inner_text()
    page.get_by_role("link", name="← tháng 10/2023").click()
    page.wait_for_url(f"{site}/thang?period=2023-10")
    shot = tmp_path / "thang.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height, pixels = png_pixels(shot.read_bytes())
    colours = set(pixels)
    assert width >= 1000 and height >= 400
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert GREEN in colours and RED_HEADER in colours
    text = page.locator("main").inner_text()
    assert "Đúng hạn" in text and "Hội Liên hiệp Phụ nữ quận" in text and "Muộn" in text
