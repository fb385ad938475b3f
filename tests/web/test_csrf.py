"""Every form post needs this session's CSRF token: without it, 403 and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mailbot.adapters.db.schema import audit_log, digests, excuses, learned_addresses, outbox
from mailbot.core.model import Period
from mailbot.jobs.digest import freeze
from tests.web.office import NOW, Office, csrf_of


def _state(office: Office) -> tuple[object, ...]:
    with office.app.engine.connect() as conn:
        return (office.bot.ledger(),
                conn.execute(select(outbox.c.id, outbox.c.status)).all(),
                conn.execute(select(digests.c.status)).all(),
                conn.execute(select(excuses)).all(),
                conn.execute(select(learned_addresses)).all(),
                conn.execute(select(audit_log)).all())


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_no_action_runs_without_the_session_s_token(office: Office, token: str | None) -> None:
    freeze(office.app, Period(2023, 10), NOW)
    client = office.client()
    ids = office.ids
    actions = [
        (f"/tin/{ids['unmatched']}/assign", {"unit": "hoa-nghia", "remember": "1"}),
        (f"/tin/{ids['unrelated']}/accept", {}),
        (f"/tin/{ids['unrelated']}/reject", {"reason": "không phải đơn vị"}),
        (f"/tin/{ids['malformed']}/reprocess", {}),
        (f"/tin/{ids['malformed']}/dismiss", {"reason": "thư rác"}),
        ("/thu-gui/1/retry", {}), ("/thu-gui/1/sent", {}),
        ("/goi/2023-10/duyet", {}), ("/goi/2023-10/giu", {}),
        ("/don-vi/tu-phap/mien", {"period": "2023-10", "reason": "nghỉ"}),
        ("/dang-xuat", {}),
    ]
    before = _state(office)
    for path, fields in actions:
        data = dict(fields) if token is None else {"csrf": token, **fields}
        assert client.post(path, data=data).status_code == 403, path
    assert _state(office) == before
    assert client.get("/thang").status_code == 200  # still logged in


def test_another_session_s_token_is_refused(office: Office) -> None:
    mine, theirs = office.client(), office.client()
    token = csrf_of(theirs)
    response = mine.post(f"/tin/{office.ids['unmatched']}/assign",
                         data={"csrf": token, "unit": "hoa-nghia"})
    assert response.status_code == 403
    assert office.row("unmatched")["disposition"] == "unmatched"
