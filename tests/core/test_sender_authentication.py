"""check_sender: only the trusted server's topmost Authentication-Results vouches for From."""

from __future__ import annotations

import pytest

from mailbot.core.authresults import AuthPolicy, check_sender, organisational_domain, parse_header

GMAIL = AuthPolicy(trusted_authserv_id="mx.google.com")
M365 = AuthPolicy(trusted_authserv_id="")
UNIT = "phuonghoanghia.duongkinh.gov.vn"

GMAIL_PASS = """mx.google.com;
       dkim=pass header.i=@phuonghoanghia.duongkinh.gov.vn header.s=mail header.b=Xk3vQ2a1;
       spf=pass (google.com: domain of vanphong@phuonghoanghia.duongkinh.gov.vn designates
 203.162.4.190 as permitted sender) smtp.mailfrom=vanphong@phuonghoanghia.duongkinh.gov.vn;
       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE)
 header.from=phuonghoanghia.duongkinh.gov.vn"""
GMAIL_DMARC_FAIL = """mx.google.com;
       spf=softfail (google.com: domain of transitioning vanphong@phuonghoanghia.duongkinh.gov.vn
 does not designate 45.77.12.9 as permitted sender)
 smtp.mailfrom=vanphong@phuonghoanghia.duongkinh.gov.vn;
       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=phuonghoanghia.duongkinh.gov.vn"""
GMAIL_SPF_OTHER_DOMAIN = """mx.google.com;
       dkim=pass header.i=@sendgrid.net header.s=smtpapi header.b=abc;
       spf=pass (google.com: domain of bounces+123@em.sendgrid.net designates 167.89.1.1 as
 permitted sender) smtp.mailfrom="bounces+123@em.sendgrid.net\""""
GMAIL_NO_DMARC_RECORD_SPF = """mx.google.com;
       spf=pass (google.com: domain of vanthu@mail.phuonghoanghia.duongkinh.gov.vn designates
 1.2.3.4 as permitted sender) smtp.mailfrom=vanthu@mail.phuonghoanghia.duongkinh.gov.vn"""
GMAIL_DKIM_ONLY = """mx.google.com;
       dkim=pass header.i=@duongkinh.gov.vn header.s=s1 header.b=QWERTY12;
       spf=neutral (google.com: 1.2.3.4 is neither permitted nor denied) smtp.mailfrom=x@other.vn"""
GMAIL_NOTHING = "mx.google.com;\r\n       spf=none (google.com: nobody) smtp.helo=mail.example"
FORGED_PASS = ("mx.google.com; dkim=pass header.d=phuonghoanghia.duongkinh.gov.vn; "
               "spf=pass smtp.mailfrom=phuonghoanghia.duongkinh.gov.vn; dmarc=pass "
               "header.from=phuonghoanghia.duongkinh.gov.vn")
OUTLOOK_PASS = """spf=pass (sender IP is 209.85.208.45)
 smtp.mailfrom=gmail.com; dkim=pass (signature was verified)
 header.d=gmail.com;dmarc=pass action=none header.from=gmail.com;compauth=pass
 reason=100"""
OUTLOOK_FAIL = """spf=fail (sender IP is 45.77.12.9)
 smtp.mailfrom=gmail.com; dkim=none (message not signed)
 header.d=none;dmarc=fail action=quarantine header.from=gmail.com;compauth=fail
 reason=000"""
OTHER_SERVER = "spamfilter.example.net; dmarc=pass header.from=phuonghoanghia.duongkinh.gov.vn"


@pytest.mark.parametrize("headers,from_domain,policy,verified", [
    ([GMAIL_PASS], UNIT, GMAIL, True),
    ([GMAIL_DMARC_FAIL], UNIT, GMAIL, False),
    # a sender's own header, claiming a pass, below the server's fail
    ([GMAIL_DMARC_FAIL, FORGED_PASS], UNIT, GMAIL, False),
    # ... or below the server's "nothing to say"
    ([GMAIL_NOTHING, FORGED_PASS], UNIT, GMAIL, False),
    ([OTHER_SERVER], UNIT, GMAIL, True),  # not trusted: falls back to "accept"
    ([OTHER_SERVER, GMAIL_DMARC_FAIL], UNIT, GMAIL, False),
    ([GMAIL_SPF_OTHER_DOMAIN], UNIT, GMAIL, False),  # passes, but for sendgrid.net
    ([GMAIL_NO_DMARC_RECORD_SPF], UNIT, GMAIL, True),  # spf aligned (relaxed)
    ([GMAIL_DKIM_ONLY], UNIT, GMAIL, True),  # dkim aligned with the organisational domain
    ([GMAIL_DKIM_ONLY], "gmail.com", GMAIL, False),
    ([GMAIL_PASS], "", GMAIL, False),
    ([OUTLOOK_PASS], "gmail.com", M365, True),
    ([OUTLOOK_FAIL], "gmail.com", M365, False),
    ([OUTLOOK_FAIL, OUTLOOK_PASS], "gmail.com", M365, False),
    ([GMAIL_PASS], UNIT, M365, True),  # no header without an id: "accept"
    ([], UNIT, GMAIL, True),
    (["garbage ;;; = ( unclosed"], UNIT, GMAIL, True),
], ids=lambda v: None)
def test_only_the_trusted_servers_topmost_header_decides(
        headers: list[str], from_domain: str, policy: AuthPolicy, verified: bool) -> None:
    assert check_sender(headers, from_domain, policy).verified is verified


def test_a_dmarc_pass_for_another_from_domain_does_not_count() -> None:
    check = check_sender([GMAIL_PASS], "gmail.com", GMAIL)

    assert not check.verified
    assert "gmail.com" in check.reason


@pytest.mark.parametrize("unauthenticated,verified", [("accept", True), ("unverified", False)])
def test_when_the_server_stamps_nothing_the_config_decides(unauthenticated: str,
                                                           verified: bool) -> None:
    policy = AuthPolicy(trusted_authserv_id="mx.google.com", unauthenticated=unauthenticated)

    check = check_sender([FORGED_PASS.replace("mx.google.com", "mx.google.com.evil")], UNIT,
                         policy)

    assert check.verified is verified
    assert check.reason == "no Authentication-Results from mx.google.com"


def test_without_a_trusted_server_every_mail_gets_the_unauthenticated_policy() -> None:
    assert check_sender([FORGED_PASS], UNIT, AuthPolicy()).verified
    assert not check_sender([GMAIL_PASS], UNIT, AuthPolicy(unauthenticated="unverified")).verified


def test_the_reason_lists_what_the_server_found() -> None:
    check = check_sender([GMAIL_DMARC_FAIL], UNIT, GMAIL)

    assert check.reason.startswith(f"DMARC fails for {UNIT}")
    assert "spf=softfail" in check.reason


def test_comments_and_quoted_strings_do_not_hide_or_invent_results() -> None:
    authserv_id, methods = parse_header(
        'mx.google.com; spf=pass (note: "dmarc=fail" (nested; dkim=fail)) '
        'smtp.mailfrom="a;b@x.vn"')

    assert authserv_id == "mx.google.com"
    assert [(m.method, m.result) for m in methods] == [("spf", "pass")]


@pytest.mark.parametrize("domain,organisational", [
    ("gmail.com", "gmail.com"),
    ("mail.google.com", "google.com"),
    ("duongkinh.gov.vn", "duongkinh.gov.vn"),
    ("a.b.haiphong.gov.vn", "haiphong.gov.vn"),
    ("vnpt.vn", "vnpt.vn"),
    ("x.vnpt.vn", "vnpt.vn"),
    ("shop.co.uk", "shop.co.uk"),
])
def test_organisational_domains(domain: str, organisational: str) -> None:
    assert organisational_domain(domain) == organisational
