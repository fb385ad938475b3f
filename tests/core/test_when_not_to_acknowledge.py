from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailbot.core.acks import why_no_ack
from mailbot.core.model import Address, ParsedMail

T = datetime(2023, 10, 10, 9, tzinfo=UTC)


def _why(mail: ParsedMail, **kw: object) -> str | None:
    args: dict[str, object] = dict(received_at=T, now=T, own_addresses=frozenset(
        {"noivu@example.com"}), bouncing=frozenset({"dead@example.gov.vn"}), acks_today=0,
        daily_limit=5, max_age=timedelta(days=7))
    args.update(kw)
    return why_no_ack(mail, **args)  # type: ignore[arg-type]


def _mail(sender: str | None = "ubndhoanghia@example.gov.vn", **kw: object) -> ParsedMail:
    return ParsedMail(None, "Gương người tốt", Address("", sender) if sender else None,
                      **kw)  # type: ignore[arg-type]


def test_an_ordinary_submission_is_acknowledged() -> None:
    assert _why(_mail()) is None


@pytest.mark.parametrize(("mail", "kw", "words"), [
    (_mail(None), {}, "no From"),
    (_mail(auto_submitted="auto-replied"), {}, "automatically"),
    (_mail(x_autoreply=True), {}, "automatically"),
    (_mail(list_id="<units.example.gov.vn>"), {}, "List-Id"),
    (_mail(precedence="bulk"), {}, "Precedence"),
    (_mail("no-reply@example.gov.vn"), {}, "no-reply"),
    (_mail("noreply+abc@example.gov.vn"), {}, "no-reply"),
    (_mail("MAILER-DAEMON@example.com"), {}, "no-reply"),
    (_mail("noivu@example.com"), {}, "own"),
    (_mail("dead@example.gov.vn"), {}, "bouncing"),
    (_mail(), {"received_at": T - timedelta(days=8)}, "7 days"),
    (_mail(), {"acks_today": 5}, "already 5"),
])
def test_it_does_not_acknowledge(mail: ParsedMail, kw: dict[str, object], words: str) -> None:
    reason = _why(mail, **kw)
    assert reason is not None and words in reason


def test_an_address_that_merely_contains_noreply_is_acknowledged() -> None:
    assert _why(_mail("vanthu.noreplyhoanghia@gmail.com")) is None
