"""The long kill loop (tests/killloop.py), short enough for CI.

MAILBOT_KILL_LOOP="500:25" runs the full count here; scripts/kill_loop.py does the same
and prints the figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.killloop import run
from tests.servers import dovecot

pytestmark = pytest.mark.dovecot


def test_sigkilled_at_random_points_while_ingesting_and_acknowledging_nothing_is_lost_or_sent_twice(
        tmp_path: Path) -> None:
    reason = dovecot.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Dovecot tests: {reason}", pytrace=False)
        pytest.skip(reason)
    messages, kills = (int(x) for x in os.environ.get("MAILBOT_KILL_LOOP", "120:8").split(":"))
    figures = run(messages, kills, tmp_path)
    print(figures.as_dict())
    assert figures.problems() == []
    assert figures.kills == kills
    assert figures.ledger_rows == messages and figures.acks == messages
    assert figures.acks_sent + figures.acks_unknown == messages
