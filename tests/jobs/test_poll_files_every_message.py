"""A whole ingestion pass against a real Dovecot mailbox."""

from __future__ import annotations

import hashlib

import pytest

from tests.builders import DOCX, JPEG, PDF
from tests.samples import month_of_mail
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]


def _fill(account: ImapAccount) -> dict[str, int]:
    return {key: account.append(raw, internaldate=when) for key, raw, when in month_of_mail()}


def _by_uid(rows: list[dict]) -> dict[int, dict]:
    return {r["uid"]: r for r in rows}


def test_it_files_each_kind_of_mail_with_its_unit_month_and_reason(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    uids = _fill(imap_account)
    line = mailbot("poll", now="2023-10-18T09:00")
    assert line.startswith(f"polled {len(uids)} new")
    rows = _by_uid(mailbot.ledger())
    got = {key: rows[uid] for key, uid in uids.items()}

    assert {k: (r["disposition"], r["unit"], r["period"], r["late"]) for k, r in got.items()} == {
        "hoa-nghia": ("submission", "hoa-nghia", "2023-10", False),
        "da-phuc-reply": ("submission", "da-phuc", "2023-10", False),
        "forward": ("submission", "tu-phap", "2023-10", False),
        "newsletter": ("ignored", None, None, False),
        "unrelated": ("ignored", None, None, False),
        "out-of-office": ("auto_reply", None, None, False),
        "bounce": ("bounce", None, None, False),
        "unmatched": ("unmatched", None, "2023-10", False),
        "baseline": ("baseline", None, None, False),
        "late": ("submission", "phu-nu", "2023-10", True),
        "next-month": ("submission", "da-phuc", "2023-11", False),
    }
    for row in got.values():
        assert row["reason"], row
    assert "List-Id" in got["newsletter"]["reason"]
    assert got["baseline"]["subject"] == "Gương người tốt việc tốt tháng 8/2023"
    assert got["baseline"]["message_id"] == "old-1@example.gov.vn"
    assert got["baseline"]["attachments"] == []
    assert "vanthu.hoanghia@gmail.com" in got["bounce"]["reason"]


def test_it_stores_each_attachment_byte_exact_with_its_vietnamese_name(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    uids = _fill(imap_account)
    mailbot("poll", now="2023-10-18T09:00")
    rows = _by_uid(mailbot.ledger())
    files = rows[uids["hoa-nghia"]]["attachments"]
    assert [(f["filename"], f["size"], f["sha256"]) for f in files] == [
        ("Báo cáo thành tích.docx", len(DOCX), hashlib.sha256(DOCX).hexdigest()),
        ("Danh sách.pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
        ("IMG_2041.jpg", len(JPEG), hashlib.sha256(JPEG).hexdigest()),
    ]
    forwarded = rows[uids["forward"]]["attachments"]
    assert [f["filename"] for f in forwarded] == ["Danh sách điển hình.pdf"]
    data_dir = mailbot.config.parent / "var" / "files"
    for f in files:
        sha = f["sha256"]
        assert (data_dir / sha[:2] / sha[2:]).read_bytes() == {
            len(DOCX): DOCX, len(PDF): PDF, len(JPEG): JPEG}[f["size"]]


def test_it_leaves_every_flag_on_the_server_as_it_was(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    raws = month_of_mail()
    for i, (_, raw, when) in enumerate(raws):
        flags = [(), (b"\\Seen",), (b"\\Flagged",), (b"\\Seen", b"\\Answered")][i % 4]
        imap_account.append(raw, internaldate=when, flags=flags)
    before = imap_account.flags()
    mailbot("poll", now="2023-10-18T09:00")
    assert imap_account.flags() == before
    assert any(b"\\Seen" not in f for f in before.values())


def test_a_second_poll_adds_nothing(imap_account: ImapAccount, mailbot: Mailbot) -> None:
    _fill(imap_account)
    mailbot("poll", now="2023-10-18T09:00")
    first = mailbot.ledger()
    assert mailbot("poll", now="2023-10-18T09:05").startswith("polled 0 new, processed 0")
    assert mailbot.ledger() == first


def test_a_new_uidvalidity_files_nothing_twice_and_picks_up_new_mail(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    _fill(imap_account)
    mailbot("poll", now="2023-10-18T09:00")
    before = {r["id"]: r for r in mailbot.ledger()}
    old_validity = imap_account.uidvalidity()
    imap_account.recreate_folder()
    assert imap_account.uidvalidity() != old_validity
    _, extra_raw, extra_when = month_of_mail()[0]
    imap_account.append(extra_raw.replace(b"<hn-1@", b"<hn-9@"), internaldate=extra_when)

    mailbot("poll", now="2023-10-18T10:00")
    after = {r["id"]: r for r in mailbot.ledger()}
    assert set(before) < set(after) and len(after) == len(before) + 1
    for id_, row in before.items():
        assert after[id_]["disposition"] == row["disposition"]
        assert after[id_]["message_id"] == row["message_id"]
    (new,) = [r for i, r in after.items() if i not in before]
    assert (new["message_id"], new["disposition"]) == ("hn-9@example.gov.vn", "submission")


def test_a_message_that_cannot_be_parsed_is_quarantined_and_the_others_are_filed(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    good = _fill(imap_account)
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(3000))
    bad = imap_account.append(b"From: x@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
                              + nested, internaldate=month_of_mail()[0][2])
    mailbot("poll", now="2023-10-18T09:00")
    rows = _by_uid(mailbot.ledger())
    assert rows[bad]["disposition"] == "quarantined"
    assert rows[bad]["last_error"]
    assert all(rows[uid]["disposition"] != "quarantined" for uid in good.values())
    assert mailbot.json("messages", "--disposition", "quarantined")[0]["uid"] == bad
