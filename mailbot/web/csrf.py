"""CSRF protection: a random token per session, required in every form post."""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

FIELD = "csrf"


def token(request: Request) -> str:
    """This session's token (created on first use); forms carry it in a hidden field."""
    value = request.session.get(FIELD)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session[FIELD] = value
    return value


def valid(request: Request, form: FormData) -> bool:
    expected = request.session.get(FIELD)
    given = form.get(FIELD)
    return (isinstance(expected, str) and isinstance(given, str)
            and hmac.compare_digest(expected.encode(), given.encode()))
