"""The small family of errors mailbot raises. Adapters translate library errors into
these with ``raise ... from e``; only the CLI turns them into exit codes."""


class MailbotError(Exception):
    """Base class: a one-line message fit to show the user."""


class ConfigError(MailbotError):
    """The config file is missing, unreadable or wrong; the message names the key."""


class ParseError(MailbotError):
    """A message could not be parsed (malformed, too big, too deeply nested...)."""


class MailboxError(MailbotError):
    """Talking to the IMAP server failed (connect, login, select, fetch, timeout)."""


class StorageError(MailbotError):
    """Writing to data_dir or the database failed."""


class DiskFullError(StorageError):
    """data_dir has no room: nothing a retry of one message can fix; wait for space."""


class NotFound(MailbotError):
    """A message, unit or period named on the command line does not exist."""
