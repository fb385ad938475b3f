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
