"""A private Dovecot IMAP server for tests: its own config, folders, port and process.

Nothing here touches the system Dovecot service. Running as root, the mailboxes belong to
`nobody` (Dovecot refuses mail access as uid 0); otherwise to the current user.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import SocketTimeout

from tests.servers import ManagedServer, free_port

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
START_TIMEOUT = 10.0
IMAP_TIMEOUT = SocketTimeout(connect=5, read=15)
PROBE_USER = "probe"
INSTALL_HINT = "apt-get install -y --no-install-recommends dovecot-imapd"


def missing() -> str | None:
    """Why no private Dovecot can run here, or None when it can."""
    for path in (DOVECOT, DOVEADM):
        if not os.access(path, os.X_OK):
            return f"{path} is missing; install it with: {INSTALL_HINT}"
    return None


CONFIG = """\
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
listen = 127.0.0.1
protocols = imap
mail_location = maildir:~/Maildir
mail_fsync = never
auth_verbose = yes
auth_failure_delay = 0
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd/%u
{password_mechanisms}}}
{oauth2}userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{chroot}}}
service anvil {{
  # No auth penalty socket, so no penalty: otherwise one failed login from 127.0.0.1
  # delays the next login of any user by 2 s or more.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{chroot}}}
"""


# XOAUTH2 and OAUTHBEARER logins: Dovecot 2.3's oauth2 passdb (built in, though
# `dovecot --build-options` does not list it) asks the introspection URL about the token.
OAUTH2_PASSDB = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


class DovecotError(RuntimeError):
    """The private Dovecot would not validate, start, or answer."""


@dataclass(frozen=True)
class ImapAccount:
    """One mailbox on a test server, with small bounded IMAP helpers for test setup."""

    host: str
    port: int
    username: str
    password: str
    server: Dovecot | None = field(default=None, repr=False, compare=False)

    def client(self, *, normalise_times: bool = True) -> IMAPClient:
        """A logged-in IMAPClient with socket timeouts; the caller closes it (`with`)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=IMAP_TIMEOUT)
        client.normalise_times = normalise_times
        try:
            client.login(self.username, self.password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(
        self,
        raw: bytes,
        *,
        folder: str = "INBOX",
        flags: Iterable[bytes | str] = (),
        internaldate: datetime | None = None,
    ) -> int:
        """Store one message and return its UID."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, tuple(flags), internaldate)
            found = re.search(rb"\[APPENDUID \d+ (\d+)\]", response or b"")
            if found:
                return int(found.group(1))
            client.select_folder(folder, readonly=True)  # no UIDPLUS: the newest UID
            return int(max(client.search("ALL")))

    def messages(self, folder: str = "INBOX") -> dict[int, bytes]:
        """UID -> raw bytes, read with EXAMINE and BODY.PEEK so nothing changes."""
        return {uid: item[b"BODY[]"] for uid, item in self._fetch(folder, "BODY.PEEK[]").items()}

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """UID -> flags, read with EXAMINE. The per-session \\Recent flag is left out."""
        return {
            uid: tuple(f for f in item[b"FLAGS"] if f != b"\\Recent")
            for uid, item in self._fetch(folder, "FLAGS").items()
        }

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str = "INBOX") -> int:
        """Give `folder` a new UIDVALIDITY and new UIDs, keeping every message's bytes,
        flags and INTERNALDATE, as when a server rebuilds a mailbox. Returns the new
        UIDVALIDITY. Sessions that have the folder selected are disconnected by Dovecot.

        Dovecot will not delete INBOX, so: expunge everything, set a new UIDVALIDITY with
        doveadm, then append the same messages again.
        """
        if self.server is None:
            raise DovecotError("recreate_folder needs the Dovecot that owns this account")
        with self.client(normalise_times=False) as client:
            client.select_folder(folder)
            uids = client.search("ALL")
            saved = client.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]) if uids else {}
            if uids:
                client.delete_messages(uids)
                client.expunge()
            client.unselect_folder()
            old = int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
            new = max(old + 1, int(time.time()))
            self.server.doveadm(
                "mailbox", "update", "-u", self.username, "--uid-validity", str(new), folder
            )
            for uid in sorted(saved):
                item = saved[uid]
                flags = tuple(f for f in item[b"FLAGS"] if f != b"\\Recent")
                client.append(folder, item[b"BODY[]"], flags, item[b"INTERNALDATE"])
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def _fetch(self, folder: str, *items: str) -> dict[int, dict[bytes, Any]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return dict(client.fetch(uids, list(items))) if uids else {}


class Dovecot(ManagedServer):
    """A private Dovecot on 127.0.0.1 and a free port. Use as a context manager.

    With ``oauth2_introspection_url``, users may also log in with XOAUTH2 or OAUTHBEARER
    and a token that URL vouches for (tests/servers/oauth2.py serves one).
    ``extra_config`` is appended to the config (e.g. a ``protocol imap { ... }`` block).
    """

    host = "127.0.0.1"

    def __init__(self, *, oauth2_introspection_url: str | None = None,
                 extra_config: str = "") -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        self.root.chmod(0o755)  # the mail user must traverse it
        self.config = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        if os.geteuid() == 0:
            self.uid, self.gid = pwd.getpwnam("nobody")[2:4]
            closed = [p for p in self.root.parents if not p.stat().st_mode & 0o001]
            if closed:
                shutil.rmtree(self.root)
                raise DovecotError(f"nobody cannot enter {closed[0]}: point TMPDIR elsewhere")
            login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
            chroot = ""
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            login_user = internal_user = pwd.getpwuid(self.uid).pw_name
            internal_group = grp.getgrgid(self.gid).gr_name
            chroot = "  chroot =\n"  # an ordinary user cannot chroot
        for sub in ("run", "state", "home", "passwd"):
            (self.root / sub).mkdir(mode=0o755)
        if oauth2_introspection_url:
            (self.root / "dovecot-oauth2.conf.ext").write_text(
                OAUTH2_CONF.format(url=oauth2_introspection_url))
        self.config.write_text(
            CONFIG.format(
                instance=f"mailbot-test-{self.root.name}",
                root=self.root,
                port=self.port,
                uid=self.uid,
                gid=self.gid,
                login_user=login_user,
                internal_user=internal_user,
                internal_group=internal_group,
                chroot=chroot,
                password_mechanisms="  mechanisms = plain login\n"
                if oauth2_introspection_url else "",
                oauth2=OAUTH2_PASSDB.format(root=self.root) if oauth2_introspection_url else "",
            ) + extra_config
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._users: set[str] = set()
        self._probe = self.add_user(PROBE_USER)


    def add_user(self, name: str | None = None) -> ImapAccount:
        """A new, empty mailbox, usable at once.

        Each user has a passwd file of its own: Dovecot re-reads a changed passwd file
        at most once a second, so a user appended to a shared file can be refused
        for up to a second.
        """
        name = name or f"user-{uuid.uuid4().hex[:12]}"
        if name in self._users or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise ValueError(f"bad or duplicate user name: {name!r}")
        password = uuid.uuid4().hex
        home = self.root / "home" / name
        home.mkdir(mode=0o700)
        os.chown(home, self.uid, self.gid)
        passwd = self.root / "passwd" / name
        passwd.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        passwd.chmod(0o644)
        self._users.add(name)
        return ImapAccount(self.host, self.port, name, password, server=self)

    def set_password(self, name: str, password: str) -> None:
        """Change a user's password (Dovecot notices within a second or so)."""
        passwd = self.root / "passwd" / name
        passwd.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        passwd.chmod(0o644)

    def start(self) -> None:
        if self._process is not None:
            raise DovecotError("already running")
        check = subprocess.run(
            [DOVECOT, "-n", "-c", str(self.config)], capture_output=True, timeout=30
        )
        if check.returncode != 0:
            raise DovecotError(f"invalid config {self.config}:\n{check.stderr.decode()}")
        with (self.root / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )
        self._wait_until_ready()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port; the mail is kept."""
        self.stop()
        self.start()

    def cut_connections(self) -> int:
        """SIGKILL this instance's IMAP session processes (never another Dovecot's):
        every client connection drops mid-command. Returns how many were killed."""
        pids = self._imap_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def crash_restart(self) -> None:
        """Restart with every session cut. A plain stop leaves running sessions alive
        (they outlive the master), so a client would not notice the restart."""
        self.cut_connections()
        self.stop()
        self.start()

    def _imap_pids(self) -> list[int]:
        if self._process is None:
            return []
        master, found = self._process.pid, []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")"
                text = stat.read_text()
                comm = text[text.index("(") + 1:text.rindex(")")]
                ppid = int(text[text.rindex(")") + 2:].split()[1])
                if ppid == master and comm == "imap":
                    found.append(int(text.split()[0]))
        return found

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this instance; raise with its stderr on failure."""
        result = subprocess.run(
            [DOVEADM, "-c", str(self.config), *args], capture_output=True, timeout=30
        )
        if result.returncode != 0:
            raise DovecotError(
                f"doveadm {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stderr.decode()}\n{self.log_tail()}"
            )
        return result.stdout.decode()

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in (self.root / "stderr.log", self.log):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code, self._process = self._process.returncode, None
                raise DovecotError(f"dovecot exited with {code}\n{self.log_tail()}")
            try:
                with self._probe.client() as client:
                    client.select_folder("INBOX")
                return
            except (OSError, IMAPClient.Error) as error:
                last_error = error
                time.sleep(0.05)
        self.stop()
        raise DovecotError(
            f"dovecot did not answer LOGIN + SELECT within {START_TIMEOUT} s "
            f"(last error: {last_error!r})\n{self.log_tail()}"
        )
