"""The office settles what mailbot could not: assign, remember, reprocess; status by unit."""

from __future__ import annotations

import pytest

from tests.builders import make_mail
from tests.samples import at, month_of_mail
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]


def _poll_month(account: ImapAccount, bot: Mailbot) -> dict[str, dict]:
    uids = {key: account.append(raw, internaldate=when) for key, raw, when in month_of_mail()}
    bot("poll", now="2023-10-18T09:00")
    rows = {r["uid"]: r for r in bot.ledger()}
    return {key: rows[uid] for key, uid in uids.items()}


def test_status_shows_each_unit_on_time_late_or_missing(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    _poll_month(imap_account, mailbot)
    status = {s["unit"]: s for s in mailbot.json("status", "--period", "2023-10")}
    assert {u: s["status"] for u, s in status.items()} == {
        "hoa-nghia": "on_time", "da-phuc": "on_time", "tu-phap": "on_time",
        "phu-nu": "late"}
    assert status["hoa-nghia"]["name"] == "UBND phường Hòa Nghĩa"
    assert status["hoa-nghia"]["submissions"] == 1
    november = {s["unit"]: s["status"] for s in mailbot.json("status", "--period", "2023-11")}
    assert november == {"hoa-nghia": "missing", "da-phuc": "on_time", "tu-phap": "missing",
                        "phu-nu": "missing"}


def test_status_lists_units_in_vietnamese_order(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    names = [s["name"] for s in mailbot.json("status", "--period", "2023-10")]
    assert names == ["Hội Liên hiệp Phụ nữ quận", "Phòng Tư pháp", "UBND phường Đa Phúc",
                     "UBND phường Hòa Nghĩa"]


def test_assign_with_remember_files_the_message_and_matches_the_sender_next_time(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    rows = _poll_month(imap_account, mailbot)
    unmatched = rows["unmatched"]
    out = mailbot("assign", str(unmatched["id"]), "hoa-nghia", "--remember",
                  now="2023-10-18T10:00")
    assert "submission" in out
    (row,) = [r for r in mailbot.ledger() if r["id"] == unmatched["id"]]
    assert (row["disposition"], row["unit"], row["period"]) == ("submission", "hoa-nghia",
                                                               "2023-10")
    assert [a["filename"] for a in row["attachments"]] == ["bao cao.docx"]

    imap_account.append(make_mail(sender="nguyenvana@gmail.com", subject="Gửi bổ sung ảnh",
                                  message_id="<un-2@gmail.com>"), internaldate=at(14, 11))
    mailbot("poll", now="2023-10-18T10:05")
    (again,) = [r for r in mailbot.ledger() if r["message_id"] == "un-2@gmail.com"]
    assert (again["disposition"], again["unit"]) == ("submission", "hoa-nghia")


def test_assign_names_an_unknown_unit_or_message(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    rows = _poll_month(imap_account, mailbot)
    err = mailbot("assign", str(rows["unmatched"]["id"]), "no-such-unit", expect=1)
    assert "no-such-unit" in err and "hoa-nghia" in err
    assert "#9999" in mailbot("assign", "9999", "hoa-nghia", expect=1)
    assert "baseline" in mailbot("reprocess", str(rows["baseline"]["id"]), expect=1)


def test_reprocess_replays_a_message_from_its_stored_bytes(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    rows = _poll_month(imap_account, mailbot)
    before = rows["hoa-nghia"]
    assert "submission" in mailbot("reprocess", str(before["id"]), now="2023-10-18T11:00")
    (after,) = [r for r in mailbot.ledger() if r["id"] == before["id"]]
    assert after["attachments"] == before["attachments"]
    assert (after["disposition"], after["period"]) == ("submission", "2023-10")
