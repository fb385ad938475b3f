"""Cần xử lý: each waiting item is settled from the page through the CLI's own jobs, and
the decision (who, when, what) is shown on the item."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from mailbot.adapters.db.outbox import Outbox
from mailbot.adapters.db.people import Audit
from mailbot.cli import main
from mailbot.jobs.health import health
from tests.builders import make_mail
from tests.samples import at
from tests.web.office import Office, post


def test_the_queue_lists_every_kind_of_waiting_item(office: Office) -> None:
    html = office.client().get("/can-xu-ly").text
    for heading in ("Thư chưa rõ đơn vị (1)", "Người gửi chưa xác minh (1)",
                    "Thư bị cách ly (không xử lý được) (1)", "Thư gửi lỗi hoặc không rõ (1)"):
        assert heading in html
    assert "MIME nesting deeper than 50 levels" in html  # the quarantine's error
    assert "550 5.1.1 mailbox unavailable" in html
    options = re.findall(r'<option value="([a-z-]+)">', html)
    assert options[:4] == ["phu-nu", "tu-phap", "da-phuc", "hoa-nghia"]  # Vietnamese order


def test_assigning_an_unmatched_message_and_remembering_its_sender(office: Office) -> None:
    client = office.client()
    mid = office.ids["unmatched"]
    response = post(client, f"/tin/{mid}/assign", unit="hoa-nghia", remember="1",
                    back="/can-xu-ly")
    assert response.headers["location"] == "/can-xu-ly"
    row = office.row("unmatched")
    assert (row["disposition"], row["unit"], row["period"]) == ("submission", "hoa-nghia",
                                                               "2023-10")
    page = client.get(f"/tin/{mid}").text
    assert "lan.nguyen" in page and "Gán cho đơn vị" in page and "to hoa-nghia" in page
    assert "nguyenvana@gmail.com" in client.get("/don-vi/hoa-nghia").text  # learned
    office.account.append(make_mail(sender="nguyenvana@gmail.com", subject="Gửi bổ sung",
                                    message_id="<un-3@gmail.com>"), internaldate=at(14, 11))
    office.bot("poll", now="2023-10-16T08:05")
    (again,) = [r for r in office.bot.ledger() if r["message_id"] == "un-3@gmail.com"]
    assert (again["disposition"], again["unit"]) == ("submission", "hoa-nghia")


def test_assigning_to_an_unknown_unit_says_so_and_changes_nothing(office: Office) -> None:
    client = office.client()
    post(client, f"/tin/{office.ids['unmatched']}/assign", unit="khong-co")
    assert "khong-co" in client.get("/can-xu-ly").text
    assert office.row("unmatched")["disposition"] == "unmatched"


def test_accepting_an_unverified_sender_files_it_under_the_claimed_unit(
        office: Office) -> None:
    client = office.client()
    post(client, f"/tin/{office.ids['unrelated']}/accept")
    row = office.row("unrelated")
    assert (row["disposition"], row["unit"]) == ("submission", "da-phuc")
    assert "Người gửi chưa xác minh" not in client.get("/can-xu-ly").text


def test_rejecting_an_unverified_sender_ignores_the_message_with_the_reason(
        office: Office) -> None:
    client = office.client()
    post(client, f"/tin/{office.ids['unrelated']}/reject", reason="Không phải văn thư")
    row = office.row("unrelated")
    assert row["disposition"] == "ignored"
    assert row["reason"] == "sender rejected by lan.nguyen: Không phải văn thư"
    assert "Từ chối người gửi" in client.get(f"/tin/{office.ids['unrelated']}").text


def test_a_quarantined_message_can_be_reprocessed_or_dismissed(office: Office) -> None:
    client = office.client()
    mid = office.ids["malformed"]
    assert "MIME nesting deeper than 50 levels" in client.get(f"/tin/{mid}").text
    post(client, f"/tin/{mid}/reprocess")
    assert office.row("malformed")["disposition"] == "quarantined"  # still broken
    post(client, f"/tin/{mid}/dismiss", reason="Thư lỗi, không phải bài nộp")
    row = office.row("malformed")
    assert (row["disposition"], row["reason"]) == (
        "ignored", "dismissed by lan.nguyen: Thư lỗi, không phải bài nộp")
    history = client.get(f"/tin/{mid}").text
    assert "Xử lý lại" in history and "Bỏ qua" in history


def test_a_filed_submission_cannot_be_dismissed(office: Office) -> None:
    client = office.client()
    post(client, f"/tin/{office.ids['hoa-nghia']}/dismiss", reason="nhầm")
    assert office.row("hoa-nghia")["disposition"] == "submission"
    assert "only quarantined, unmatched, unverified" in client.get("/thang").text


def _outbox(office: Office) -> dict[int, dict[str, object]]:
    return {r.id: {"status": r.status, "sent_at": r.sent_at}
            for r in Outbox(office.app.engine).rows()}


def test_a_failed_send_is_retried_or_marked_as_sent_after_checking(office: Office) -> None:
    client = office.client()
    failed = next(i for i, r in _outbox(office).items() if r["status"] == "failed")
    post(client, f"/thu-gui/{failed}/retry")
    assert _outbox(office)[failed]["status"] == "pending"
    Outbox(office.app.engine).finish(failed, "unknown", "stopped while sending", at(16))
    assert "lan.nguyen: Gửi lại" in client.get("/can-xu-ly").text  # shown on the item
    post(client, f"/thu-gui/{failed}/sent")
    assert _outbox(office)[failed]["status"] == "sent"
    assert "Thư gửi lỗi" not in client.get("/can-xu-ly").text
    post(client, f"/thu-gui/{failed}/sent")  # twice: says why not
    assert "only failed or unknown" in client.get("/can-xu-ly").text


def _outbox_health(office: Office) -> str:
    report = health(office.app, at(16), wall=datetime.now(UTC), max_poll_age=timedelta(days=9))
    return next(c.status for c in report.checks if c.name == "outbox")


def test_outbox_resolve_from_the_cli_clears_health(office: Office) -> None:
    config = str(office.bot.config)
    failed = next(i for i, r in _outbox(office).items() if r["status"] == "failed")
    assert _outbox_health(office) == "FAIL"
    assert main(["--config", config, "outbox", "resolve", str(failed), "--sent"]) == 0
    assert _outbox(office)[failed]["status"] == "sent"
    assert _outbox_health(office) == "OK"
    assert main(["--config", config, "outbox", "resolve", str(failed), "--retry"]) == 1
    assert main(["--config", config, "outbox", "resolve", "99999", "--sent"]) == 1
    (entry,) = Audit(office.app.engine).of("outbox", [str(failed)])
    assert (entry.action, entry.actor.startswith("cli")) == ("mark_sent", True)


def test_mail_that_waits_for_nobody_can_still_be_refiled_from_its_own_page(
        office: Office) -> None:
    client = office.client()
    mid = office.ids["newsletter"]
    page = client.get(f"/tin/{mid}").text
    assert f'action="/tin/{mid}/assign"' in page and f'action="/tin/{mid}/dismiss"' not in page
    assert f'action="/tin/{office.ids["baseline"]}/assign"' not in client.get(
        f"/tin/{office.ids['baseline']}").text
    post(client, f"/tin/{mid}/assign", unit="tu-phap")
    assert (office.row("newsletter")["disposition"], office.row("newsletter")["unit"]) == (
        "submission", "tu-phap")
