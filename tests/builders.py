"""Builders for test mail (they live in the package because the demo uses them too)."""

from mailbot.demo.samples import DOCX, JPEG, OFFICE, PDF, make_mail

__all__ = ["DOCX", "JPEG", "OFFICE", "PDF", "make_mail"]
