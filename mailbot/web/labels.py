"""The words the page shows for mailbot's states: one table, in Vietnamese."""

from __future__ import annotations

STATUS = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa gửi",
          "excused": "Được miễn"}

DISPOSITION = {
    "submission": "Bài nộp", "unmatched": "Chưa rõ đơn vị", "unverified": "Người gửi chưa xác minh",
    "auto_reply": "Trả lời tự động", "bounce": "Thư báo lỗi gửi", "own": "Thư của mailbot",
    "baseline": "Thư cũ (trước ngày bắt đầu)", "ignored": "Bỏ qua",
    "quarantined": "Cách ly (không xử lý được)", "pending": "Đang chờ xử lý",
}

SEND_STATUS = {"pending": "Đang chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi",
               "failed": "Gửi lỗi", "unknown": "Không rõ đã gửi chưa"}

SEND_KIND = {"ack": "Báo đã nhận", "reminder": "Nhắc nộp", "office_status": "Báo cáo tình hình",
             "digest": "Gói gửi Ban"}

DIGEST_STATUS = {"frozen": "Đã chốt, chờ gửi", "held": "Đang giữ lại", "approved": "Đã duyệt",
                 "sent": "Đã gửi", "preview": "Chưa chốt (xem trước)"}

ACTION = {
    "assign": "Gán cho đơn vị", "reprocess": "Xử lý lại", "dismiss": "Bỏ qua",
    "reject": "Từ chối người gửi", "excuse": "Miễn nộp", "approved": "Duyệt gói",
    "held": "Giữ gói lại", "send": "Gửi gói", "resend": "Gửi lại gói",
    "mark_sent": "Đánh dấu đã gửi", "retry": "Gửi lại", "user_add": "Tạo tài khoản",
    "user_password": "Đặt lại mật khẩu", "lockout": "Khoá tài khoản",
}


def label(table: dict[str, str], key: str | None) -> str:
    return table.get(key or "", key or "")


# The jobs' errors are in English (they are the CLI's too); the page says what they
# mean in Vietnamese first and keeps the original as the detail.
_ERRORS = (
    ("no unit with code", "Không có đơn vị với mã này."),
    ("can be dismissed", "Chỉ bỏ qua được thư đang chờ người xử lý (cách ly, chưa rõ đơn vị, "
                         "chưa xác minh)."),
    ("is not compiled yet", "Gói tháng này chưa được chốt nên chưa duyệt hay giữ lại được."),
    ("was already sent", "Gói này đã được gửi cho Ban."),
    ("only failed or unknown", "Thư này không còn ở tình trạng gửi lỗi hoặc không rõ."),
    ("a reason is needed", "Cần ghi lý do."),
    ("baseline mail", "Thư cũ (trước ngày bắt đầu dùng mailbot): nội dung chưa được tải về "
                      "nên không xử lý được."),
    ("claims no unit", "Thư không nói mình thuộc đơn vị nào: hãy chọn đơn vị để gán."),
    ("not unverified", "Thư này không còn chờ xác minh."),
    ("expected a month", "Tháng không hợp lệ."),
    ("no From address", "Thư không có địa chỉ người gửi để ghi nhớ."),
    ("in the ledger", "Không tìm thấy thư này."),
    ("in the outbox", "Không tìm thấy thư gửi này."),
)


def explain(error: Exception) -> str:
    text = str(error)
    for marker, vietnamese in _ERRORS:
        if marker in text:
            return f"Không thực hiện được: {vietnamese} ({text})"
    return f"Không thực hiện được: {text}"
