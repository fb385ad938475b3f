"""When mailbot must not acknowledge a submission: the rules that prevent mail loops."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from mailbot.core.model import ParsedMail

_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|noreply|mailer-daemon|postmaster|bounces?)([+._-].*)?@",
    re.IGNORECASE)


def why_no_ack(mail: ParsedMail, *, received_at: datetime, now: datetime,
               own_addresses: frozenset[str], bouncing: frozenset[str], acks_today: int,
               daily_limit: int, max_age: timedelta) -> str | None:
    """The reason not to acknowledge ``mail`` (a filed submission), or None to send.

    >>> from datetime import UTC
    >>> from mailbot.core.model import Address
    >>> t = datetime(2023, 10, 10, tzinfo=UTC)
    >>> why_no_ack(ParsedMail(None, "", Address("", "no-reply@example.com")), received_at=t,
    ...            now=t, own_addresses=frozenset(), bouncing=frozenset(), acks_today=0,
    ...            daily_limit=5, max_age=timedelta(days=7))
    'no-reply address no-reply@example.com'
    """
    sender = mail.from_.addr if mail.from_ else ""
    if not sender:
        return "no From address"
    if mail.auto_submitted not in (None, "no") or mail.x_autoreply:
        return "the mail was sent automatically"
    if mail.list_id:
        return f"mailing list mail (List-Id: {mail.list_id})"
    if mail.precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {mail.precedence}"
    if _NO_REPLY.match(sender):
        return f"no-reply address {sender}"
    if sender in own_addresses:
        return "mailbot's own address"
    if sender in bouncing:
        return f"{sender} is bouncing"
    if now - received_at > max_age:
        return f"received more than {max_age.days} days ago"
    if acks_today >= daily_limit:
        return f"already {acks_today} acknowledgements to {sender} in the last 24 hours"
    return None
