"""parse_mail: forwarded messages, attached (message/rfc822) or inline."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mailbot.adapters.parse import parse_mail
from mailbot.core.model import Address
from tests.adapters.parse_builders import TOP, leaf, multipart
from tests.builders import DOCX, JPEG, PDF, make_mail

DATA = Path(__file__).resolve().parent.parent / "data"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _original(**kwargs: object) -> bytes:
    return make_mail(
        sender="Trần Thị Mai <TranThiMai.tdp3@example.vn>",
        subject="Báo cáo gương người tốt việc tốt",
        body="Em gửi báo cáo ông Nguyễn Văn Bình nhặt được của rơi trả người mất.\n",
        attachments=[("Báo cáo.docx", DOCX, DOCX_TYPE), ("ảnh.jpg", JPEG, "image/jpeg")],
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_forwarded_message_yields_its_files_marked_from_forward() -> None:
    raw = make_mail(body="Kính chuyển Phòng Nội vụ.\n", forward_of=_original(),
                    attachments=[("to-trinh.pdf", PDF, "application/pdf")])

    mail = parse_mail(raw)

    assert [(a.filename, a.data, a.from_forward) for a in mail.attachments] == [
        ("to-trinh.pdf", PDF, False), ("Báo cáo.docx", DOCX, True), ("ảnh.jpg", JPEG, True)]
    assert mail.forwarded_from == Address("Trần Thị Mai", "tranthimai.tdp3@example.vn")


def test_the_forwarded_container_is_not_kept_as_a_duplicate_file() -> None:
    mail = parse_mail(make_mail(forward_of=_original()))

    assert "forwarded.eml" not in [a.filename for a in mail.attachments]
    assert "message/rfc822" not in [a.content_type for a in mail.attachments]


def test_the_forwarded_text_follows_the_senders_own_under_a_forward_header() -> None:
    mail = parse_mail(make_mail(body="Kính chuyển Phòng Nội vụ.\n", forward_of=_original()))

    own, forwarded = mail.text.split("\n\n", 1)
    assert own == "Kính chuyển Phòng Nội vụ."
    assert forwarded.startswith("---------- Forwarded message ---------\n"
                                "From: Trần Thị Mai <TranThiMai.tdp3@example.vn>\n")
    assert "Subject: Báo cáo gương người tốt việc tốt" in forwarded
    assert forwarded.endswith("ông Nguyễn Văn Bình nhặt được của rơi trả người mất.")


def test_a_forwarded_message_with_nothing_in_it_is_kept_as_an_eml() -> None:
    empty = make_mail(sender="x@example.vn", subject="trống", body="\n")

    mail = parse_mail(make_mail(forward_of=empty))

    assert [(a.filename, a.content_type, a.from_forward) for a in mail.attachments] == [
        ("forwarded.eml", "message/rfc822", True)]
    assert b"Subject: =?utf-8?q?tr=E1=BB=91ng?=" in mail.attachments[0].data


def test_a_base64_encoded_forwarded_message_is_kept_decoded_as_a_file() -> None:
    original = _original()
    raw = multipart([
        leaf([("Content-Type", "text/plain; charset=utf-8")], "chuyển tiếp".encode()),
        leaf([("Content-Type", "message/rfc822"), ("Content-Transfer-Encoding", "base64")],
             base64.encodebytes(original)),
    ], headers=TOP)

    mail = parse_mail(raw)

    assert [(a.filename, a.data, a.from_forward) for a in mail.attachments] == [
        ("forwarded-message-1.eml", original, True)]
    assert "forwarded message is base64-encoded: kept as a file" in mail.defects


def test_forwarded_from_is_the_sender_of_the_first_attached_message() -> None:
    innermost = make_mail(sender="Người gốc <goc@example.vn>", body="gốc\n")
    middle = make_mail(sender="Người giữa <giua@example.vn>", body="giữa\n", forward_of=innermost)
    second = make_mail(sender="Người khác <khac@example.vn>", body="khác\n")
    raw = multipart([
        leaf([("Content-Type", "text/plain; charset=utf-8")], "chuyển tiếp".encode()),
        leaf([("Content-Type", "message/rfc822")], middle),
        leaf([("Content-Type", "message/rfc822")], second),
    ], headers=TOP)

    mail = parse_mail(raw)

    assert mail.forwarded_from == Address("Người giữa", "giua@example.vn")
    assert [line for line in mail.text.splitlines() if line.startswith("From:")] == [
        "From: Người giữa <giua@example.vn>", "From: Người gốc <goc@example.vn>",
        "From: Người khác <khac@example.vn>"]


def test_the_thunderbird_sample_yields_the_list_inside_the_attached_message() -> None:
    mail = parse_mail((DATA / "thunderbird-forward-attached.eml").read_bytes())

    assert [(a.filename, a.from_forward) for a in mail.attachments] == [
        ("Danh sách gương tốt.xlsx", True)]
    assert mail.forwarded_from == Address("Trần Thị Mai", "tranthimai.tdp3@example.vn")
    assert "Em gửi báo cáo và danh sách ạ." in mail.text


def test_the_gmail_sample_names_the_sender_of_its_inline_forward() -> None:
    mail = parse_mail((DATA / "gmail-forward-vi.eml").read_bytes())

    assert mail.forwarded_from == Address("Trần Thị Mai", "tranthimai.tdp3@example.vn")
    # Gmail re-attaches the original's files to the forward itself: they are the sender's.
    assert [(a.filename, a.data, a.from_forward) for a in mail.attachments] == [
        ("Báo cáo TDP3.pdf", PDF, False)]


@pytest.mark.parametrize("block", [
    "---------- Forwarded message ---------\nFrom: Trần Thị Mai <mai@example.vn>\n"
    "Date: Mon, Oct 9, 2023 at 4:20 PM\nSubject: Báo cáo\nTo: <x@example.vn>\n",
    "---------- Tin nhắn đã chuyển tiếp ---------\nTừ: Trần Thị Mai <mai@example.vn>\n"
    "Date: Th 2, 9 thg 10, 2023 vào lúc 16:20\n",
    "-------- Original Message --------\nSubject: Báo cáo\nDate: Mon, 9 Oct 2023\n"
    "From: Trần Thị Mai <mai@example.vn>\n",
    "-------- Forwarded Message --------\nSubject: Báo cáo\nFrom: Trần Thị Mai <mai@example.vn>\n",
    "Begin forwarded message:\n\nFrom: Trần Thị Mai <mai@example.vn>\nSubject: Báo cáo\n",
    "---------- Forwarded message ---------\nFrom: *Trần Thị Mai* <mai@example.vn>\n",
    "> ---------- Forwarded message ---------\n> From: Trần Thị Mai <MAI@example.vn>\n",
    "-------- Original Message --------\nFrom: Trần Thị Mai [mailto:mai@example.vn]\n",
], ids=["gmail", "gmail-vi", "thunderbird-old", "thunderbird", "apple", "bold", "quoted",
        "outlook-mailto"])
def test_an_inline_forward_block_names_the_original_sender(block: str) -> None:
    raw = make_mail(body=f"Kính chuyển.\n\n{block}\nNội dung gốc.\n")

    assert parse_mail(raw).forwarded_from == Address("Trần Thị Mai", "mai@example.vn")


def test_an_inline_forward_in_html_only_mail_is_found() -> None:
    html = ("<div>Kính chuyển.<br><br>---------- Forwarded message ---------<br>"
            "From: <strong>Trần Thị Mai</strong> &lt;mai@example.vn&gt;<br></div>")
    raw = make_mail(body="", html=html)
    raw = raw.replace(b"Content-Type: text/plain", b"Content-Type: text/x-ignored")

    assert parse_mail(raw).forwarded_from == Address("Trần Thị Mai", "mai@example.vn")


@pytest.mark.parametrize("body", [
    "Đã nhận.\n\nVào 9 thg 10, 2023, Trần Thị Mai <mai@example.vn> đã viết:\n> Báo cáo\n",
    "OK\n\n-----Original Message-----\nFrom: Trần Thị Mai <mai@example.vn>\n",
    "Không chuyển tiếp gì cả.\nFrom: someone <a@example.vn>\n",
])
def test_a_reply_or_ordinary_text_is_not_taken_for_a_forward(body: str) -> None:
    assert parse_mail(make_mail(body=body)).forwarded_from is None
