"""split_parts: the package as emails that stay within the mail servers' size limit."""

from __future__ import annotations

import base64
import itertools
from email import policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.digest import (
    MIME_HEADERS_PER_FILE,
    attachment_size,
    build_digest,
    encoded_size,
    pack_files,
    split_parts,
)
from mailbot.core.digest_model import PackedFile, Part
from tests.core.digest_samples import COMPILED, OCTOBER, ROSTER, filed, stored

MB = 1024 * 1024
GMAIL_LIMIT = 25 * MB


def packed(size: int, name: str = "", unit: str = "hoa-nghia") -> PackedFile:
    name = name or f"{size}.jpg"
    return PackedFile(f"01-UBND phường Hòa Nghĩa/{name}", stored(name, size=size), unit)


def estimate(part: Part, overhead: int) -> int:
    return overhead + sum(attachment_size(f) for f in part.files)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 56, 57, 58, 114, 1000, 65_536, 1_000_003])
def test_encoded_size_is_what_base64_with_crlf_lines_takes(n: int) -> None:
    assert encoded_size(n) == len(base64.encodebytes(b"\0" * n).replace(b"\n", b"\r\n"))


def test_encoded_size_refuses_a_negative_size() -> None:
    with pytest.raises(ValueError, match="negative"):
        encoded_size(-1)


@pytest.mark.parametrize("name", [
    "IMG_2041.jpg", "Báo cáo thành tích gương người tốt việc tốt tháng 10 năm 2023.docx",
    "Báo cáo thành tích gương người tốt, việc tốt tháng 10 năm 2023 của Ủy ban nhân dân "
    "phường Hòa Nghĩa, quận Dương Kinh, thành phố Hải Phòng (bản có chữ ký và dấu).docx",
])
@pytest.mark.parametrize("size", [0, 1000, 300_000])
def test_the_estimate_covers_what_the_email_package_writes(name: str, size: int) -> None:
    message = EmailMessage(policy=policy.SMTP)
    message.set_content("Kính gửi Ban Thi đua - Khen thưởng")
    file = packed(size, name)
    message.add_attachment(b"\x89" * size, maintype="application", subtype="vnd.openxmlformats-"
                           "officedocument.wordprocessingml.document", filename=file.archive_name)
    [attachment] = message.iter_attachments()
    assert len(attachment.as_bytes()) + len("\r\n--" + "=" * 15 + "x" * 19 + "==\r\n") \
        <= attachment_size(file)
    assert attachment_size(packed(size, "a.pdf")) == encoded_size(size) + MIME_HEADERS_PER_FILE


def test_an_empty_package_is_still_one_email() -> None:
    assert split_parts([], limit=GMAIL_LIMIT) == ([Part(1, 1, ())], [])


def test_a_package_that_fits_is_one_email() -> None:
    files = [packed(2 * MB, f"ảnh {i}.jpg") for i in range(5)]
    assert split_parts(files, limit=GMAIL_LIMIT) == ([Part(1, 1, tuple(files))], [])


def test_the_next_file_that_does_not_fit_starts_the_next_email() -> None:
    a, b, c, d = packed(8 * MB, "a.jpg"), packed(8 * MB, "b.jpg"), packed(3 * MB, "c.jpg"), \
        packed(1 * MB, "d.jpg")
    parts, oversized = split_parts([a, b, c, d], limit=GMAIL_LIMIT)
    assert parts == [Part(1, 2, (a, b)), Part(2, 2, (c, d))]
    assert oversized == []


def test_a_file_too_big_for_any_email_is_never_attached() -> None:
    video, photo = packed(30 * MB, "video.mp4"), packed(MB, "ảnh.jpg")
    parts, oversized = split_parts([video, photo], limit=GMAIL_LIMIT)
    assert parts == [Part(1, 1, (photo,))] and oversized == [video]


def test_when_every_file_is_too_big_the_board_still_gets_one_email() -> None:
    video = packed(40 * MB, "video.mp4")
    assert split_parts([video], limit=GMAIL_LIMIT) == ([Part(1, 1, ())], [video])


@pytest.mark.parametrize(("limit", "overhead"), [(1000, 1000), (100, 1000), (1000, -1)])
def test_the_limit_must_leave_room_after_the_overhead(limit: int, overhead: int) -> None:
    with pytest.raises(ValueError, match="overhead"):
        split_parts([], limit=limit, overhead=overhead)


def test_a_busy_month_of_40_units_splits_into_emails_under_the_limit() -> None:
    records = [
        filed(unit.code, i, files=(stored(f"Báo cáo {unit.name}.docx", size=400_000),
                                   *(stored(f"IMG_{i}_{k}.jpg", size=3 * MB) for k in range(2))))
        for i, unit in enumerate(ROSTER)
    ]
    digest = build_digest(OCTOBER, units=ROSTER, records=records, excused={},
                          compiled_at=COMPILED)
    files = pack_files(digest)
    parts, oversized = split_parts(files, limit=GMAIL_LIMIT)
    assert oversized == [] and len(files) == 120
    assert [f for p in parts for f in p.files] == files
    assert all(estimate(p, 64 * 1024) <= GMAIL_LIMIT for p in parts)
    assert [(p.number, p.total) for p in parts] == [(n, len(parts)) for n in
                                                    range(1, len(parts) + 1)]
    # ~9 MB of base64 per unit: not quite three units to a 25 MB email.
    assert 120 / 8 <= len(parts) <= 120 / 7


SIZES = st.lists(st.integers(min_value=0, max_value=5_000_000), max_size=40)
LIMITS = st.integers(min_value=64 * 1024 + 1, max_value=8_000_000)


@given(SIZES, LIMITS, st.integers(min_value=0, max_value=64 * 1024),
       st.integers(min_value=0, max_value=32 * 1024))
def test_every_file_that_fits_travels_once_in_order_within_the_limit(
    sizes: list[int], limit: int, overhead: int, letter: int
) -> None:
    # Part 1 also carries the letter and the documents: ``letter`` bytes more.
    first = min(overhead + letter, limit - 1)
    files = [packed(size, f"{i}.jpg") for i, size in enumerate(sizes)]
    parts, oversized = split_parts(files, limit=limit, overhead=overhead, first_overhead=first)
    attached = [f for p in parts for f in p.files]
    assert attached == [f for f in files if f not in oversized]
    assert oversized == [f for f in files if attachment_size(f) > limit - overhead]
    assert estimate(parts[0], first) <= limit
    assert all(estimate(p, overhead) <= limit for p in parts[1:])
    assert [(p.number, p.total) for p in parts] == [(n, len(parts))
                                                    for n in range(1, len(parts) + 1)]


@given(SIZES, LIMITS)
def test_a_new_email_starts_only_when_the_next_file_does_not_fit(
    sizes: list[int], limit: int
) -> None:
    files = [packed(size, f"{i}.jpg") for i, size in enumerate(sizes)]
    parts, _ = split_parts(files, limit=limit)
    assert all(p.files for p in parts) or parts == [Part(1, 1, ())]
    for part, following in itertools.pairwise(parts):
        assert estimate(part, 64 * 1024) + attachment_size(following.files[0]) > limit
