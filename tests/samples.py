"""A month of realistic office mail (shared with the demo)."""

from mailbot.demo.samples import DOCX_TYPE, VN, at, dsn, month_of_mail

__all__ = ["DOCX_TYPE", "VN", "at", "dsn", "month_of_mail"]
