"""exemplar_text: what a unit wrote about its exemplars, without the thread and signature."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.bodytext import exemplar_text

EXEMPLARS = (
    "UBND phường Hòa Nghĩa xin gửi gương người tốt, việc tốt tháng 10/2023:\n"
    "1. Ông Nguyễn Văn An, tổ dân phố số 5, nhặt được ví tiền trả lại người đánh rơi.\n"
    "2. Chị Trần Thị Bình, giáo viên Trường Tiểu học Hòa Nghĩa, hiến máu lần thứ 20."
)
REMINDER = "> Phòng Nội vụ đề nghị quý đơn vị gửi gương người tốt, việc tốt trước ngày 15.\n"


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param(EXEMPLARS + "\n", EXEMPLARS, id="a plain submission is kept whole"),
    pytest.param(
        "Kính gửi Phòng Nội vụ,\n\n\n\nĐơn vị gửi gương anh Phạm Văn Cường.\n\n\n",
        "Kính gửi Phòng Nội vụ,\n\nĐơn vị gửi gương anh Phạm Văn Cường.",
        id="runs of blank lines become one"),
    pytest.param(
        EXEMPLARS + "\n\nOn Mon, Oct 9, 2023 at 9:15 AM Phòng Nội vụ quận Dương Kinh <\n"
        "noivuduongkinh@example.com> wrote:\n\n" + REMINDER,
        EXEMPLARS, id="a Gmail reply, its attribution wrapped over two lines"),
    pytest.param(
        EXEMPLARS + "\n\nVào Th 2, 9 thg 10, 2023 vào lúc 09:15 Phòng Nội vụ <"
        "noivuduongkinh@example.com> đã viết:\n" + REMINDER,
        EXEMPLARS, id="a Vietnamese Gmail reply"),
    pytest.param(
        EXEMPLARS + "\n\nVào 09/10/2023 09:15, Phòng Nội vụ quận Dương Kinh đã viết:\n"
        "Đề nghị quý đơn vị gửi trước ngày 15.\n",
        EXEMPLARS, id="a Thunderbird reply whose quote has no > marks"),
    pytest.param(
        EXEMPLARS + "\n\n-----Original Message-----\nFrom: Phòng Nội vụ\n"
        "Sent: Monday, October 9, 2023 9:15 AM\nSubject: Nhắc nhở\n\nĐề nghị quý đơn vị…\n",
        EXEMPLARS, id="an Outlook reply"),
    pytest.param(
        EXEMPLARS + "\n\n----- Original Message -----\nFrom: noivu@example.gov.vn\n"
        "To: ubndhoanghia@example.gov.vn\nSent: Monday, October 9, 2023 9:15:00 AM\n\n"
        "Đề nghị quý đơn vị…\n",
        EXEMPLARS, id="a Zimbra reply from a government mail server"),
    pytest.param(
        EXEMPLARS + "\n\n________________________________\nFrom: Phòng Nội vụ <noivu@example.com>"
        "\nSent: Monday, October 9, 2023 9:15 AM\nTo: UBND phường Hòa Nghĩa\n"
        "Subject: Nhắc nhở\n\nĐề nghị quý đơn vị…\n",
        EXEMPLARS, id="a new Outlook reply"),
    pytest.param(
        EXEMPLARS + "\n\nTừ: Phòng Nội vụ <noivu@example.com>\n"
        "Đã gửi: 09 Tháng Mười 2023 9:15 SA\nĐến: UBND phường Hòa Nghĩa\n"
        "Chủ đề: Nhắc nhở\n\nĐề nghị quý đơn vị…\n",
        EXEMPLARS, id="an Outlook reply in Vietnamese"),
    pytest.param(
        "Đồng ý.\n> Đơn vị có gửi ảnh không?\nCó, đơn vị gửi kèm 3 ảnh.\n",
        "Đồng ý.\nCó, đơn vị gửi kèm 3 ảnh.", id="answers between quoted lines are kept"),
    pytest.param(
        "Vào ngày 5/10/2023, anh Lê Văn Đức đã dũng cảm bắt kẻ cướp giật tài sản.\n",
        "Vào ngày 5/10/2023, anh Lê Văn Đức đã dũng cảm bắt kẻ cướp giật tài sản.",
        id="a sentence starting with Vào is not an attribution"),
    pytest.param(REMINDER * 3, "", id="nothing but a quote"),
    pytest.param("", "", id="an empty body (an HTML-only mail)"),
])
def test_it_cuts_off_the_quoted_thread(body: str, expected: str) -> None:
    assert exemplar_text(body) == expected


FORWARD_HEADER = (
    "---------- Forwarded message ---------\n"
    "From: Nguyễn Văn Hùng <hung.tdp5@example.com>\n"
    "Date: Th 5, 12 thg 10, 2023 vào lúc 14:02\n"
    "Subject: Gương người tốt tháng 10\n"
    "To: <vanthu.hoanghia@gmail.com>\n\n\n"
)
FORWARDED = "Tổ dân phố 5 gửi gương anh Phạm Văn Cường cứu cháu bé đuối nước tại hồ Đa Phúc."


@pytest.mark.parametrize(("body", "subject", "expected"), [
    pytest.param(FORWARD_HEADER + FORWARDED + "\n\nTrân trọng,\nHùng\n", "Fwd: Gương",
                 FORWARDED, id="a Gmail forward without comment"),
    pytest.param(
        "Kính chuyển Phòng Nội vụ.\n\n-- \nVăn thư UBND phường Hòa Nghĩa\n\n"
        + FORWARD_HEADER + FORWARDED + "\n",
        "Fwd: Gương", "Kính chuyển Phòng Nội vụ.\n\n" + FORWARDED,
        id="the forwarder's comment and the forwarded text, both without signatures"),
    pytest.param(
        "-------- Forwarded Message --------\nSubject: \tGương tháng 10\n"
        "Date: \tThu, 12 Oct 2023 14:02:00 +0700\nFrom: \tHùng <hung@example.com>\n\n\n"
        + FORWARDED + "\n",
        "Fwd: Gương", FORWARDED, id="a Thunderbird forward"),
    pytest.param(
        FORWARD_HEADER + FORWARDED + "\n\nOn Wed, Oct 11, 2023 at 8:00 AM Lan <lan@example.com>"
        " wrote:\n> Anh gửi giúp em gương tháng 10.\n",
        "Fwd: Re: Gương", FORWARDED, id="the forwarded mail's own thread is cut"),
    pytest.param(
        "Gửi Phòng Nội vụ.\n\n________________________________\nFrom: Tổ dân phố 5\n"
        "Sent: Thursday, October 12, 2023 2:02 PM\nTo: UBND phường Hòa Nghĩa\n"
        "Subject: Gương người tốt\n\n" + FORWARDED + "\n",
        "FW: Gương người tốt", "Gửi Phòng Nội vụ.\n\n" + FORWARDED,
        id="an Outlook forward, known by its subject"),
    pytest.param(
        "-----Original Message-----\nFrom: Tổ dân phố 5\nSent: Thursday, October 12, 2023\n"
        "\n" + FORWARDED + "\n\n-----Original Message-----\nFrom: Lan\nSent: Wednesday\n\n"
        "Anh gửi giúp em.\n",
        "FW: Gương", FORWARDED, id="an Outlook forward keeps only the first block"),
    pytest.param(
        "Gửi Phòng Nội vụ.\n\n-----Original Message-----\nFrom: Tổ dân phố 5\n"
        "Sent: Thursday, October 12, 2023 2:02 PM\n\n" + FORWARDED + "\n",
        "RE: Gương người tốt", "Gửi Phòng Nội vụ.", id="the same block in a reply is cut"),
])
def test_a_forwarded_submission_keeps_the_forwarded_text(
    body: str, subject: str, expected: str
) -> None:
    assert exemplar_text(body, subject=subject) == expected


@pytest.mark.parametrize("signature", [
    pytest.param("-- \nNguyễn Thị Lan\nVăn thư UBND phường Hòa Nghĩa\n", id="dash dash space"),
    pytest.param("--\nNguyễn Thị Lan\n", id="dash dash with its space trimmed"),
    pytest.param("Trân trọng!\n", id="Trân trọng"),
    pytest.param("Trân trọng./.\n", id="the closing of an official document"),
    pytest.param("Trân trọng cảm ơn!\nNguyễn Thị Lan\nVăn thư UBND phường Hòa Nghĩa\n"
                 "ĐT: 0225 3880 123\nEmail: vanthu.hoanghia@gmail.com\n", id="closing and card"),
    pytest.param("Tran trong cam on!\nLan\n", id="a closing typed without diacritics"),
    pytest.param("Xin chân thành cảm ơn.\n\nNguyễn Thị Lan\n", id="Xin chân thành cảm ơn"),
    pytest.param("Thanks & best regards,\n", id="English thanks"),
    pytest.param("Nguyễn Thị Lan\nVăn thư UBND phường Hòa Nghĩa\nĐiện thoại: 0225 3880 123\n",
                 id="a name-and-phone card"),
    pytest.param("Người liên hệ: Nguyễn Thị Lan\nDĐ: 0912.345.678\n", id="contact person"),
    pytest.param("Nguyễn Thị Lan\n0912 345 678\n", id="a bare phone number"),
    pytest.param("Gửi từ iPhone của tôi\n", id="sent from a phone, in Vietnamese"),
    pytest.param("Trân trọng,\nLan\n\nSent from my iPhone\n", id="closing then sent from"),
])
def test_it_drops_a_trailing_signature(signature: str) -> None:
    assert exemplar_text(EXEMPLARS + "\n\n" + signature) == EXEMPLARS


@pytest.mark.parametrize("body", [
    pytest.param(
        "Trân trọng!\n\nUBND phường Tân Thành xin giới thiệu gương bà Vũ Thị Hoa, người đã "
        "nhiều năm liền tự nguyện quét dọn, giữ gìn vệ sinh khu vực chợ Tân Thành và vận "
        "động bà con cùng tham gia.\n", id="a closing followed by a long paragraph"),
    pytest.param(
        "Gương người tốt tháng 10:\nÔng Trần Văn Cường, tổ dân phố số 5, "
        "nhặt được ví trả người đánh rơi.\nĐT: 0912 345 678\n",
        id="an exemplar's own phone, inside the paragraph"),
    pytest.param(
        "Đơn vị giới thiệu 4 gương:\n\nÔng Trần Văn Cường\nBà Vũ Thị Hoa\nAnh Lê Văn Đức\n"
        "Chị Phạm Thị Mai\nĐT: 0912 345 678\n",
        id="more names above a phone than a signature has"),
    pytest.param("Trân trọng giới thiệu gương anh Nguyễn Văn An.\n",
                 id="Trân trọng opening a sentence"),
])
def test_it_keeps_text_that_only_looks_like_a_signature(body: str) -> None:
    assert exemplar_text(body) == body.strip()


def test_it_reads_windows_line_ends_and_decomposed_letters() -> None:
    body = unicodedata.normalize("NFD", EXEMPLARS + "\n\nTrân trọng!\n").replace("\n", "\r\n")
    assert exemplar_text(body) == EXEMPLARS


def test_a_long_text_is_cut_at_a_word_and_marked() -> None:
    body = "Anh Nguyễn Văn An giúp đỡ người già neo đơn. " * 200
    text = exemplar_text(body, max_chars=100)
    head = text.removesuffix("…")
    assert len(text) <= 100 and text.endswith("…")
    assert body.startswith(head) and body[len(head)] == " " and len(head) > 50


def test_a_text_of_exactly_max_chars_is_not_cut() -> None:
    assert exemplar_text("a" * 50, max_chars=50) == "a" * 50
    assert exemplar_text("a" * 51, max_chars=50) == "a" * 49 + "…"


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        exemplar_text("x", max_chars=0)


@given(st.text(alphabet=st.sampled_from("aăđ ơ>-:\n\r\t.ĐT0"), max_size=300),
       st.integers(min_value=1, max_value=120))
def test_the_result_is_trimmed_short_and_quote_free(body: str, max_chars: int) -> None:
    text = exemplar_text(body, max_chars=max_chars)
    assert len(text) <= max_chars
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert not any(line.lstrip().startswith(">") for line in text.split("\n"))
