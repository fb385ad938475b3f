"""The database schema, as SQLAlchemy Core tables. Alembic migrations mirror it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MailText(TypeDecorator[str]):
    """Text that came in mail, fitted to what every backend stores.

    PostgreSQL refuses NUL in text and enforces a String's length where SQLite ignores
    both, and its btree index refuses entries over 2704 bytes: so NUL becomes U+FFFD, and
    a value too long for its column is clipped (to ``length`` characters and at most
    2000 bytes of UTF-8). A hostile header can then never make a ledger write fail; the
    raw message keeps the original. Comparisons clip the same way, so they still match.
    """

    impl: type[String] = Text
    cache_ok = True
    MAX_BYTES = 2000

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.replace("\x00", "\ufffd")
        return value if self.length is None else clip(value, self.length, self.MAX_BYTES)

    @property
    def length(self) -> int | None:
        return getattr(self.impl, "length", None)


class MailString(MailText):
    """A String(length) column holding text from mail: see MailText."""

    impl = String
    cache_ok = True


def clip(text: str, chars: int, max_bytes: int) -> str:
    """``text`` cut to at most ``chars`` characters and ``max_bytes`` bytes of UTF-8."""
    text = text[:chars]
    data = text.encode("utf-8", "surrogatepass")
    return text if len(data) <= max_bytes else data[:max_bytes].decode("utf-8", "ignore")


mailbox_state = Table(
    "mailbox_state",
    metadata,
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
    Column("last_poll_at", UTCDateTime),  # a pass started (server reached, folder open)
    Column("last_pass_at", UTCDateTime),  # a pass completed: every new message claimed
)

# The ledger: one row per message that ever arrived in the folder.
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("folder", String(255), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", MailString(998)),
    Column("raw_sha256", String(64)),  # NULL for baseline mail (never fetched),
    Column("raw_size", BigInteger, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("from_addr", MailString(320)),
    Column("from_name", MailString(998)),
    Column("subject", MailText),
    Column("disposition", String(16), nullable=False),
    Column("reason", MailText, nullable=False, default=""),
    Column("unit", String(64)),
    Column("period", String(7)),
    Column("late", Boolean, nullable=False, default=False),
    Column("body_text", MailText),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", MailText),
    Column("created_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    UniqueConstraint("folder", "uidvalidity", "uid", name="uq_messages_identity"),
    Index("ix_messages_content", "raw_sha256", "message_id"),
    Index("ix_messages_period", "period", "disposition"),
    Index("ix_messages_disposition", "disposition"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("filename", MailText, nullable=False),
    Column("display_name", MailString(255), nullable=False),
    Column("content_type", MailString(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("from_forward", Boolean, nullable=False, default=False),
    UniqueConstraint("message", "position", name="uq_attachments_position"),
)

learned_addresses = Table(
    "learned_addresses",
    metadata,
    Column("email", MailString(320), primary_key=True),
    Column("unit", String(64), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("source_message", Integer, ForeignKey("messages.id", ondelete="SET NULL")),
)

bouncing_addresses = Table(
    "bouncing_addresses",
    metadata,
    Column("email", MailString(320), primary_key=True),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_message", Integer, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("diagnostic", MailText, nullable=False, default=""),
)

# Everything mailbot sends: a row (with its unique key and Message-ID) is committed
# before any SMTP call, so a crash can neither lose an email nor send it twice.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),  # kind:period:unit:step
    Column("kind", String(32), nullable=False),
    Column("period", String(7)),
    Column("unit", String(64)),
    Column("step", String(64), nullable=False, default=""),
    Column("message", Integer, ForeignKey("messages.id", ondelete="SET NULL")),
    Column("to_addrs", Text, nullable=False),  # comma-separated, lower-case
    Column("subject", MailText, nullable=False),
    Column("message_id", String(998), nullable=False, unique=True),
    Column("raw", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sending, sent, failed, unknown
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", MailText),
    Column("refused", MailText),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_status", "status", "next_attempt_at"),
    Index("ix_outbox_kind_period", "kind", "period"),
)

excuses = Table(
    "excuses",
    metadata,
    Column("unit", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# One daemon per database: the holder renews its heartbeat; a stale lease is taken over.
lease = Table(
    "lease",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# The monthly package: frozen (its exact contents recorded) the day before it is sent.
digests = Table(
    "digests",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("compiled_at", UTCDateTime, nullable=False),  # mail after this: next month
    Column("status", String(16), nullable=False),  # frozen, held, approved, sent
    Column("messages", Text, nullable=False),  # JSON: ledger ids in the package
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sends", Integer, nullable=False, default=0),  # 1 normally; more with --resend
)

# The office's web page: staff accounts (scrypt hashes), failed logins, and who did what.
users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),  # consecutive failed logins
    Column("locked_until", UTCDateTime),
)

# Every decision a person made (web page or CLI): shown on the item it concerns.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # a web user, or "cli:<os user>"
    Column("action", String(32), nullable=False),  # assign, reprocess, dismiss, approve...
    Column("target_kind", String(16), nullable=False),  # message, outbox, digest, unit, user
    Column("target", String(64), nullable=False),  # ledger id, outbox id, YYYY-MM, unit code
    Column("detail", Text, nullable=False, default=""),
    Index("ix_audit_log_target", "target_kind", "target"),
)
