"""The package for the Board and the acknowledgements under a long SMTP outage, a
Gmail quota, a daemon down across the digest hour, and a clock that jumps."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.builders import make_mail
from tests.jobs.test_digest_package import _month, _to
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import BOARD, Mailbot, write_config

pytestmark = pytest.mark.dovecot
QUOTA = "5.4.5 Daily user sending quota exceeded. Learn more at https://support.google.com"


def _bot(tmp_path: Path, account: ImapAccount, smtp: SmtpServer,
         capsys: pytest.CaptureFixture[str]) -> Mailbot:
    bot = Mailbot(write_config(tmp_path, account, smtp=smtp, board=""), capsys)
    bot("db", "upgrade")
    return bot


def _statuses(bot: Mailbot) -> Counter[tuple[str, str]]:
    return Counter((r["kind"], r["status"]) for r in bot.json("outbox"))


def _message_ids(smtp: SmtpServer) -> Counter[bytes]:
    return Counter(next(line for line in m.raw.split(b"\r\n")
                        if line.lower().startswith(b"message-id:")) for m in smtp.messages)


def test_smtp_down_for_hours_across_the_17th_the_package_goes_once_when_it_is_back(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    with SmtpServer() as gone:  # stopped at once: its port refuses connections
        pass
    bot = _bot(tmp_path, imap_account, gone, capsys)
    _month(imap_account)
    hours = [f"2023-10-{d}T{h:02d}:00" for d in (16, 17) for h in range(6, 24, 2)]
    hours += ["2023-10-16T08:00", "2023-10-17T08:00", "2023-10-17T08:30"]
    for now in sorted(hours):  # two days of ticks (more than max_attempts), the server down
        bot("tick", now=now)
    before = _statuses(bot)
    assert before[("digest", "pending")] >= 1 and before[("digest", "failed")] == 0
    assert sum(n for (_, status), n in before.items() if status == "failed") == 0

    with SmtpServer() as back:
        bot = _bot(tmp_path, imap_account, back, capsys)  # the same data, the server back
        bot("tick", now="2023-10-18T08:00")
        bot("tick", now="2023-10-18T08:30")
        bot("tick", now="2023-10-19T08:00")
        assert len(_to(back, BOARD)) == 1  # the package, once
        assert max(_message_ids(back).values()) == 1  # nothing twice
        after = _statuses(bot)
        assert set(after) == {(kind, "sent") for kind, _ in before}
        assert sum(after.values()) == sum(before.values()) == len(back.messages)


def test_gmails_daily_quota_for_a_whole_day_is_waited_out_not_given_up(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys)
    imap_account.append(make_mail(message_id="<q@example.gov.vn>"), internaldate=at(6, 9))
    smtp_server.fail_next(1000, 550, "MAIL", QUOTA)
    for hour in range(9, 24):  # 15 attempts: more than max_attempts (8)
        bot("tick", now=f"2023-10-06T{hour:02d}:00")
    (row,) = bot.json("outbox")
    assert row["status"] == "pending" and "quota" in row["last_error"]
    assert row["attempts"] >= 8
    smtp_server.clear_faults()  # the quota lifts at midnight Pacific time
    bot("tick", now="2023-10-07T09:00")
    (row,) = bot.json("outbox")
    assert row["status"] == "sent" and len(smtp_server.messages) == 1


def test_a_daemon_down_from_before_to_after_the_digest_hour_sends_the_package_once_when_back(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys)
    _month(imap_account)
    bot("tick", now="2023-10-15T09:00")  # then down over the 16th (preview) and the 17th
    assert _to(smtp_server, BOARD) == []
    bot("tick", now="2023-10-19T10:00")  # back two days late: within the 10-day window
    assert len(_to(smtp_server, BOARD)) == 1
    for now in ("2023-10-19T10:05", "2023-10-20T08:00", "2023-10-25T08:00"):
        bot("tick", now=now)
    assert len(_to(smtp_server, BOARD)) == 1
    assert max(_message_ids(smtp_server).values()) == 1


def test_a_daemon_back_after_the_catch_up_window_leaves_the_package_to_the_office(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys)
    _month(imap_account)
    bot("tick", now="2023-10-15T09:00")
    bot("tick", now="2023-10-27T09:00")  # 11 days after the freeze: too stale to mail alone
    assert _to(smtp_server, BOARD) == []
    bot("digest", "send", "--period", "2023-10", now="2023-10-27T09:05")
    assert len(_to(smtp_server, BOARD)) == 1


def test_a_clock_that_jumps_back_and_forth_sends_nothing_twice(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys)
    _month(imap_account)
    for now in ("2023-10-10T10:00", "2023-10-14T08:00", "2023-10-16T08:00",
                "2023-10-17T08:00"):
        bot("tick", now=now)
    sent = Counter(r["kind"] for r in bot.json("outbox"))
    assert sent["reminder"] >= 2 and sent["ack"] == 2 and len(_to(smtp_server, BOARD)) == 1
    count = len(smtp_server.messages)
    # NTP steps the clock back a day, then a week, then a month; then forward again.
    for now in ("2023-10-16T08:00", "2023-10-17T07:59", "2023-10-14T08:00",
                "2023-10-10T08:00", "2023-09-17T08:00", "2023-10-17T08:00",
                "2023-10-18T09:00"):
        bot("tick", now=now)
    assert len(smtp_server.messages) == count
    assert Counter(r["kind"] for r in bot.json("outbox")) == sent
    assert max(_message_ids(smtp_server).values()) == 1


def test_a_reminder_with_one_recipient_refused_is_sent_to_the_other_and_the_refusal_recorded(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys)
    smtp_server.refuse("vanthu.hoanghia@gmail.com", 550, "5.1.1 The email account does not exist")
    bot("tick", now="2023-10-10T08:00")
    (row,) = [r for r in bot.json("outbox") if r["unit"] == "hoa-nghia"]
    assert row["status"] == "sent"
    assert row["refused"] == "vanthu.hoanghia@gmail.com: 550 5.1.1 The email account does not exist"
    unit = "ubndhoanghia@example.gov.vn"
    (got,) = [m for m in smtp_server.messages if unit in m.rcpt_tos]
    assert got.rcpt_tos == (unit,)
    bot("tick", now="2023-10-10T09:00")
    assert len([m for m in smtp_server.messages if unit in m.rcpt_tos]) == 1  # not re-sent
