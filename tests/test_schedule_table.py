"""The daemon's schedule, as data, handed to a real APScheduler."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from mailbot.app import App
from mailbot.config import parse_config
from mailbot.scheduler import schedule_table, start


def _app(tmp_path: Path, **schedule: str) -> App:
    raw = {"imap": {"host": "127.0.0.1", "security": "plain", "username": "a@example.com",
                    "password_file": str(tmp_path / "pw")},
           "schedule": schedule}
    (tmp_path / "pw").write_text("x")
    return App(parse_config(raw, tmp_path / "mailbot.toml"), engine=None)  # type: ignore[arg-type]


def test_duties_run_at_the_send_and_digest_times_and_as_a_catch_up(tmp_path: Path) -> None:
    table = {e.id: e for e in schedule_table(_app(tmp_path, send_time="07:30",
                                                  digest_time="09:15"))}
    assert table["duties-at-send-time"].args == {"hour": 7, "minute": 30}
    assert table["duties-at-digest-time"].args == {"hour": 9, "minute": 15}
    assert table["duties-catch-up"].trigger == "interval"
    assert table["deliver-outbox"].trigger == "interval"


def test_the_scheduler_runs_in_the_office_timezone_with_coalescing(tmp_path: Path) -> None:
    app = _app(tmp_path, send_time="08:00")
    scheduler = start(app, lambda: datetime(2023, 10, 10, tzinfo=UTC), schedule_table(app))
    try:
        job = scheduler.get_job("duties-at-send-time")
        assert job.coalesce is True and job.max_instances == 1
        fire = job.trigger.get_next_fire_time(None, datetime(2023, 10, 10, 0, 30, tzinfo=UTC))
        assert fire.astimezone(app.config.timezone).time() == time(8, 0)
        assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    finally:
        scheduler.shutdown(wait=False)
