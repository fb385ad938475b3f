"""Tháng này answers "who has not sent, and what waits for me"; the year grid shows a
unit that misses month after month."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from mailbot.core.model import Period, Unit
from mailbot.web.views_month import month_view
from tests.web.office import NOW, Office, post


def _row(html: str, name: str) -> str:
    found = re.search(r"<tr>\s*<td><a href=\"/don-vi/[^\"]+\">" + re.escape(name)
                      + r"</a></td>(.*?)</tr>", html, re.S)
    assert found, f"no row for {name}"
    return found.group(1)


def test_the_month_shows_each_unit_s_status_when_it_sent_and_its_files(office: Office) -> None:
    html = office.client().get("/thang").text  # the clock is 16/10: October
    assert "Tháng 10/2023 (tháng này)" in html
    assert "Đúng hạn" in _row(html, "UBND phường Hòa Nghĩa")
    assert "10/10/2023 09:00" in _row(html, "UBND phường Hòa Nghĩa")
    assert re.search(r"<td>1</td>\s*<td>3</td>", _row(html, "UBND phường Hòa Nghĩa"))
    assert "Muộn" in _row(html, "Hội Liên hiệp Phụ nữ quận")
    assert "Đúng hạn" in _row(html, "Phòng Tư pháp")  # through the forward


def test_the_month_shows_the_deadline_the_days_left_and_what_waits(office: Office) -> None:
    html = office.client().get("/thang").text
    assert "15/10/2023" in html and "đã quá hạn 1 ngày" in html
    # unmatched + unverified + quarantined + a failed send
    assert re.search(r'Cần xử lý<b><a href="/can-xu-ly">4</a></b>', html)
    november = office.client().get("/thang?period=2023-11").text
    assert "15/11/2023" in november and "còn 30 ngày" in november
    assert "Chưa gửi" in _row(november, "UBND phường Hòa Nghĩa")


def test_excusing_a_missing_unit_from_the_month_page(office: Office) -> None:
    client = office.client()
    response = post(client, "/don-vi/hoa-nghia/mien", period="2023-11",
                    reason="Đơn vị sáp nhập", back="/thang?period=2023-11")
    assert response.headers["location"] == "/thang?period=2023-11"
    html = client.get("/thang?period=2023-11").text
    assert "Đã miễn nộp" in html
    row = _row(html, "UBND phường Hòa Nghĩa")
    assert "Được miễn" in row and "Đơn vị sáp nhập" in row
    assert "Miễn nộp" in client.get("/don-vi/hoa-nghia").text  # the audit, on the unit
    assert "lan.nguyen" in client.get("/hoat-dong").text
    status = {s["unit"]: s["status"] for s in office.bot.json("status", "--period", "2023-11")}
    assert status["hoa-nghia"] == "excused"  # the CLI sees the same decision


def test_an_excuse_without_a_reason_is_refused_with_a_message(office: Office) -> None:
    client = office.client()
    post(client, "/don-vi/hoa-nghia/mien", period="2023-11", reason="  ")
    assert "Không thực hiện được" in client.get("/thang?period=2023-11").text


def test_the_year_grid_colours_every_unit_by_month(office: Office) -> None:
    html = office.client().get("/nam?year=2023").text
    row = re.search(r"UBND phường Hòa Nghĩa</a></td>(.*?)</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td class="(\w+)"', row.group(1))
    assert cells[:10] == ["missing"] * 9 + ["on_time"]
    assert cells[10:] == ["future", "future"]  # November has not come yet
    late = re.search(r"Hội Liên hiệp Phụ nữ quận</a></td>(.*?)</tr>", html, re.S)
    assert late and re.findall(r'<td class="(\w+)"', late.group(1))[9] == "late"


def test_the_month_of_forty_units_renders_quickly(office: Office) -> None:
    extra = tuple(Unit(f"u{i:02d}", f"UBND phường Số {i}", (f"u{i}@example.gov.vn",))
                  for i in range(40))
    office.app.config = replace(office.app.config, units=office.app.config.units + extra)
    client = office.client()
    client.get("/thang")
    start = time.perf_counter()
    for _ in range(5):
        html = client.get("/thang").text
    elapsed = (time.perf_counter() - start) / 5
    assert html.count("UBND phường Số") == 40
    assert month_view(office.app, Period(2023, 10), NOW).counts["missing"] == 40
    print(f"month page, 44 units: {elapsed * 1000:.0f} ms")
    assert elapsed < 0.5, f"{elapsed * 1000:.0f} ms"
