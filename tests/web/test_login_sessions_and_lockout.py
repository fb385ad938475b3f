"""Only logged-in staff see anything; wrong passwords lock the account for a while."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.schema import users
from tests.web.office import PASSWORD, USER, Office, csrf_of, log_in, post

PAGES = ["/", "/thang", "/nam", "/don-vi", "/don-vi/hoa-nghia", "/can-xu-ly", "/goi",
         "/nhat-ky", "/hoat-dong", "/tin/1", "/tep/1", "/tep/1/anh",
         "/goi/2023-10/tai-lieu.docx"]
ACTIONS = ["/tin/1/assign", "/tin/1/accept", "/tin/1/reject", "/tin/1/reprocess",
           "/tin/1/dismiss", "/thu-gui/1/retry", "/thu-gui/1/sent", "/goi/2023-10/duyet",
           "/goi/2023-10/giu", "/don-vi/hoa-nghia/mien"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_the_login_page(office: Office, path: str) -> None:
    response = office.client(login=False).get(path)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/dang-nhap") if path != "/" else location == "/thang"


def test_every_action_refuses_a_stranger_and_changes_nothing(office: Office) -> None:
    client = office.client(login=False)
    before = office.bot.ledger()
    for path in ACTIONS:
        token = csrf_of(client, "/dang-nhap")
        response = client.post(path, data={"csrf": token, "unit": "hoa-nghia",
                                           "reason": "x", "period": "2023-10"})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dang-nhap"), path
    assert office.bot.ledger() == before


def test_the_login_page_is_in_vietnamese_and_logging_in_opens_the_asked_page(
        office: Office) -> None:
    client = office.client(login=False)
    assert "Đăng nhập" in client.get("/dang-nhap").text
    token = csrf_of(client, "/dang-nhap")
    response = client.post("/dang-nhap", data={"csrf": token, "name": "Lan.Nguyen",
                                               "password": PASSWORD, "next": "/can-xu-ly"})
    assert (response.status_code, response.headers["location"]) == (303, "/can-xu-ly")
    assert client.get("/can-xu-ly").status_code == 200


def test_a_login_never_redirects_to_another_site(office: Office) -> None:
    client = office.client(login=False)
    token = csrf_of(client, "/dang-nhap")
    response = client.post("/dang-nhap", data={"csrf": token, "name": USER,
                                               "password": PASSWORD,
                                               "next": "//evil.example.com/"})
    assert response.headers["location"] == "/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
        office: Office) -> None:
    client = office.client(login=False)
    wrong = log_in(client, password="sai-mat-khau")
    unknown = log_in(client, name="khong-co-ai")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    assert client.get("/thang").status_code == 303


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
        office: Office) -> None:
    client = office.client(login=False)
    for _ in range(4):
        assert "tạm khoá" not in log_in(client, password="sai-mat-khau").text
    locked = log_in(client, password="sai-mat-khau")
    assert locked.status_code == 401 and "tạm khoá" in locked.text
    assert log_in(client).status_code == 401  # the right password, while locked
    with office.app.engine.connect() as conn:
        assert conn.scalar(select(users.c.locked_until).where(users.c.name == USER))
    assert Audit(office.app.engine).of("user", [USER])[0].action == "lockout"


def test_setting_a_new_password_from_the_cli_unlocks_the_account(office: Office) -> None:
    client = office.client(login=False)
    for _ in range(5):
        log_in(client, password="sai-mat-khau")
    out = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(office.bot.config),
                          "user", "add", USER], input="mat-khau-moi-2\n", text=True,
                         capture_output=True, timeout=60, check=True).stdout
    assert "password changed" in out
    assert log_in(client, password="mat-khau-moi-2").status_code == 303


def test_user_add_refuses_a_short_password(office: Office) -> None:
    result = subprocess.run([sys.executable, "-m", "mailbot", "--config",
                             str(office.bot.config), "user", "add", "minh"], input="ngan\n",
                            text=True, capture_output=True, timeout=60)
    assert result.returncode == 2 and "at least 8" in result.stderr


def test_passwords_are_stored_as_scrypt_hashes(office: Office) -> None:
    with office.app.engine.connect() as conn:
        stored = conn.scalar(select(users.c.password_hash).where(users.c.name == USER))
    assert stored.startswith("scrypt$") and PASSWORD not in stored


def test_logging_out_ends_the_session(office: Office) -> None:
    client = office.client()
    assert post(client, "/dang-xuat").status_code == 303
    assert client.get("/thang").status_code == 303
