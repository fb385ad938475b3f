"""Render an email's three templates (subject, text body, HTML body) with Jinja2.

Templates live in ``mailbot/templates`` as ``{kind}-subject.txt``, ``{kind}-body.txt``
and ``{kind}-body.html``; an optional override folder is searched first, so an office
can reword one template without touching the package. Only ``.html`` is autoescaped:
the subject and the text body carry the unit's words verbatim.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mailbot.core.notices import vn_date, vn_datetime, vn_long_date, vn_period, vn_size
from mailbot.errors import MailbotError

_KIND_RE = re.compile(r"[a-z][a-z0-9_]*")
_PACKAGE_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
FILTERS: Mapping[str, Callable[..., str]] = {
    "vn_date": vn_date,
    "vn_long_date": vn_long_date,
    "vn_datetime": vn_datetime,
    "vn_size": vn_size,
    "vn_period": vn_period,
}


@dataclass(frozen=True)
class Rendered:
    """A rendered email: a one-line subject, the plain-text body and the HTML body."""

    subject: str
    text: str
    html: str


def _packaged(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    # The package folder is flat; refusing odd names keeps "../x" out of it.
    if not _PACKAGE_NAME_RE.fullmatch(name):
        return None
    path = importlib.resources.files("mailbot").joinpath("templates", name)
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8"), str(path), lambda: True


@functools.lru_cache(maxsize=8)
def _environment(override_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FunctionLoader(_packaged)]
    if override_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(override_dir, encoding="utf-8"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def one_line(text: str) -> str:
    """``text`` on one line: control characters and line breaks become single spaces."""
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(cleaned.split())


def _render(env: jinja2.Environment, name: str, context: Mapping[str, object]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as e:
        raise MailbotError(f"template {name}: not found (missing {e.name})") from e
    except jinja2.TemplateSyntaxError as e:
        where = f"{e.filename or e.name or name}, line {e.lineno}"
        raise MailbotError(f"template {name}: syntax error in {where}: {e.message}") from e
    except jinja2.TemplateError as e:
        raise MailbotError(f"template {name}: {e.message or e}") from e
    except (TypeError, ValueError) as e:
        raise MailbotError(f"template {name}: {type(e).__name__}: {e}") from e


def render(
    kind: str, context: Mapping[str, object], *, override_dir: Path | None = None
) -> Rendered:
    """Render the templates of ``kind`` ("ack", "reminder", "office_status"...).

    Templates in ``override_dir`` win over the packaged ones of the same name. A
    missing template or variable, a syntax error or a failing filter raises
    MailbotError naming the template. The subject comes out on one line (no CR, LF or
    other control character); the text body ends with a newline.
    """
    if not _KIND_RE.fullmatch(kind):
        raise MailbotError(f"no such kind of email: {kind!r}")
    if override_dir is not None and not override_dir.is_dir():
        raise MailbotError(f"template folder {override_dir} does not exist")
    env = _environment(override_dir.resolve() if override_dir is not None else None)
    subject_name = f"{kind}-subject.txt"
    subject = one_line(_render(env, subject_name, context))
    if not subject:
        raise MailbotError(f"template {subject_name}: the subject came out empty")
    text = _render(env, f"{kind}-body.txt", context).replace("\r\n", "\n")
    html = _render(env, f"{kind}-body.html", context)
    return Rendered(subject=subject, text=text.rstrip("\n") + "\n", html=html)
