"""Ingest throughput: a generated mailbox on a private Dovecot, every figure in one run.

    python bench/ingest.py [--messages 2000] [--no-getmail] [--profile FILE | --py-spy FILE]
                           [--json FILE]

The mailbox (bench/common.py: Vietnamese subjects and bodies, 60% with 1-3 photos of
0.2-3 MB, 30% with a 50-500 KB document, 1% with a 20 MB file, ~1.2 MB a message) is
generated once into a cache folder and appended to a private Dovecot on 127.0.0.1.
Then, over the same mailbox:

(a) raw ceiling: imapclient UID FETCH BODY.PEEK[] of every message, in batches of at
    most 32 MB (mailbot's own batching), imaplib's trace off;
(b) parse ceiling: mail-parser (`mailparser.parse_from_bytes`) over the same bytes,
    already in memory; for context also the stdlib parser alone and mailbot's own
    `parse_mail` (mail-parser plus mailbot's walk of the tree);
(c) `mailbot poll` end to end in a child process on an empty database (fetch, durable
    store, parse, attachments stored, classified, committed), with its peak RSS (VmHWM
    read in the child) and CPU time;
peer: getmail6 downloading the same mailbox to a Maildir (BODY.PEEK[], one message at
    a time, as it does).

Ratios c/a, c/b and c/getmail6 are what to compare across machines. Needs Debian's
dovecot-imapd (run `.ci/run` once) and, for the peer, `pip install getmail6`.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import MB

TARGET_C_OVER_B = 0.9
TARGET_C_OVER_GETMAIL = 2.0
NOW = "2023-10-18T09:00"  # after the month's deadline: every message is filed for 10/2023

GETMAILRC = """\
[retriever]
type = SimpleIMAPRetriever
server = {host}
port = {port}
username = {user}
password = {password}
mailboxes = ("INBOX",)
use_peek = true

[destination]
type = Maildir
path = {maildir}/
{deliver_as}
[options]
verbose = 0
read_all = true
delete = false
message_log_syslog = false
"""


def getmail_script() -> Path | None:
    here = Path(sys.executable).parent / "getmail"
    if here.exists():
        return here
    found = shutil.which("getmail")
    return Path(found) if found else None


def raw_fetch(account: object) -> tuple[float, int, int]:
    """(a): seconds, messages and bytes for SEARCH + sizes + BODY.PEEK[] of everything."""
    t0 = time.perf_counter()
    count = total = 0
    with account.client() as c:  # type: ignore[attr-defined]
        c._imap.debug = 0
        c.select_folder("INBOX", readonly=True)
        uids = c.search(["ALL"])
        sizes = {uid: int(item[b"RFC822.SIZE"])
                 for uid, item in c.fetch(uids, ["RFC822.SIZE"]).items()}
        for batch in common.imap_batches(sizes):
            for item in c.fetch(batch, ["BODY.PEEK[]"]).values():
                total += len(item[b"BODY[]"])
                count += 1
    return time.perf_counter() - t0, count, total


def parse_times(paths: list[Path], parsers: dict[str, object]) -> dict[str, float]:
    """(b): seconds each parser spends over the messages (bytes read beforehand, untimed)."""
    spent = dict.fromkeys(parsers, 0.0)
    for p in paths:
        raw = p.read_bytes()
        for name, fn in parsers.items():
            t0 = time.perf_counter()
            fn(raw)  # type: ignore[operator]
            spent[name] += time.perf_counter() - t0
    return spent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="mailbox size (default 2000)")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--no-getmail", action="store_true", help="skip the getmail6 peer")
    ap.add_argument("--no-context-parsers", action="store_true",
                    help="time only mail-parser in (b), not also the stdlib and parse_mail")
    ap.add_argument("--profile", metavar="FILE", help="cProfile `mailbot poll` into FILE")
    ap.add_argument("--py-spy", metavar="FILE", help="sample `mailbot poll` with py-spy into FILE")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    common.print_machine()

    from mailbot.adapters.parse import parse_mail
    from tests.servers.dovecot import Dovecot, missing
    from tests.support import write_config

    if missing():
        print(f"cannot run: {missing()}")
        return 1
    need_gb = args.messages * 1.25 * 5 / 1024  # cache, Dovecot, mailbot, getmail, slack
    free = common.free_disk_gb(Path(tempfile.gettempdir()))
    if free < need_gb:
        print(f"cannot run: {free:.1f} GB free in {tempfile.gettempdir()}, about "
              f"{need_gb:.1f} GB needed; try --messages {int(args.messages * free / need_gb)}")
        return 1
    paths = common.mailbox_files(args.messages, args.seed)
    sizes = [p.stat().st_size for p in paths]
    total_mb = sum(sizes) / MB
    n = len(paths)
    print(f"mailbox: {n} messages, {total_mb:.0f} MB (mean {total_mb / n:.2f} MB, largest "
          f"{max(sizes) / MB:.1f} MB)")

    figures: dict[str, dict[str, float]] = {}

    def report(name: str, secs: float, count: int = n, mb: float = total_mb) -> None:
        figures[name] = {"seconds": secs, "msg_per_s": count / secs, "mb_per_s": mb / secs}
        print(f"  {name:34} {count / secs:8.1f} msg/s {mb / secs:8.1f} MB/s ({secs:6.1f} s)",
              flush=True)

    with Dovecot() as server, tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        account = server.add_user()
        t0 = time.perf_counter()
        common.fill(account, paths)
        print(f"appended to Dovecot in {time.perf_counter() - t0:.0f} s", flush=True)

        secs, count, nbytes = raw_fetch(account)
        assert count == n, f"fetched {count} of {n}"
        report("(a) raw UID FETCH BODY.PEEK[]", secs, count, nbytes / MB)

        parsers: dict[str, object] = {"(b) mail-parser": _mailparser()}
        if not args.no_context_parsers:
            parsers["    stdlib email parser alone"] = lambda raw: email.message_from_bytes(
                raw, policy=email.policy.compat32)
            parsers["    mailbot parse_mail"] = parse_mail
        for name, secs in parse_times(paths, parsers).items():
            report(name, secs)

        config = write_config(Path(tmp), account)
        common.run_measured(common.mailbot_cmd(config, "db", "upgrade"))
        env = {"BENCH_PROFILE": args.profile} if args.profile else None
        cmd = common.mailbot_cmd(config, "--now", NOW, "poll")
        if args.py_spy:
            cmd = common.py_spy_cmd(cmd, args.py_spy)
        poll = common.run_measured(cmd, env=env)
        report("(c) mailbot poll, end to end", poll.seconds)
        print(f"      poll: {poll.stdout.strip()}")
        print(f"      poll: peak RSS {poll.peak_rss_mb:.0f} MB, CPU {poll.cpu_seconds:.1f} s "
              f"({100 * poll.cpu_seconds / poll.seconds:.0f}% of one core over its wall time)")
        if poll.worker_peak_rss_mb:
            print(f"      its parser worker process: peak RSS <= {poll.worker_peak_rss_mb:.0f} "
                  f"MB, CPU {poll.worker_cpu_seconds:.1f} s")

        getmail_secs = None
        script = getmail_script()
        if args.no_getmail:
            print("  getmail6: skipped (--no-getmail)")
        elif script is None:
            print("  getmail6: not installed (pip install getmail6): no peer figure")
        else:
            getmail_secs = run_getmail(script, account, n)
            if getmail_secs:
                report("peer: getmail6 -> Maildir", getmail_secs)

    a, b, c = (figures[k]["seconds"] for k in
               ("(a) raw UID FETCH BODY.PEEK[]", "(b) mail-parser", "(c) mailbot poll, end to end"))
    ratios = {"c/a": a / c, "c/b": b / c}
    print(f"\nratios (throughput): c/a = {a / c:.2f}   c/b = {b / c:.2f}", end="")
    if getmail_secs:
        ratios["c/getmail6"] = getmail_secs / c
        print(f"   c/getmail6 = {getmail_secs / c:.2f}", end="")
    print()
    print("target c >= 0.9 x b: " + common.verdict(
        b / c >= TARGET_C_OVER_B, f"c/b = {b / c:.2f}; needs {TARGET_C_OVER_B * c / b:.2f}x "
        "faster" if b / c < TARGET_C_OVER_B else f"c/b = {b / c:.2f}"))
    if getmail_secs:
        g = getmail_secs / c
        print("target c >= 2 x getmail6: " + common.verdict(
            g >= TARGET_C_OVER_GETMAIL, f"c/getmail6 = {g:.2f}"))
    if args.profile:
        common.print_profile(Path(args.profile))
    if args.py_spy:
        common.print_collapsed(Path(args.py_spy))
    common.write_json(args.json, "ingest", {
        "messages": n, "mailbox_mb": total_mb, "largest_mb": max(sizes) / MB,
        "figures": figures, "ratios": ratios, "poll_peak_rss_mb": poll.peak_rss_mb,
        "poll_cpu_seconds": poll.cpu_seconds, "worker_cpu_seconds": poll.worker_cpu_seconds,
        "worker_peak_rss_mb": poll.worker_peak_rss_mb, "poll_said": poll.stdout.strip()})
    return 0


def _mailparser() -> object:
    import mailparser

    return mailparser.parse_from_bytes


def run_getmail(script: Path, account: object, n: int) -> float | None:
    """getmail6 into a fresh Maildir; None (and why, printed) if it failed. getmail6
    refuses to deliver as root: then its delivery children (one per message, forked
    whoever runs it) write as `nobody` (its Maildir `user` option)."""
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="mailbot-bench-getmail-"))
    try:
        maildir, home = base / "Maildir", base / "home"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        home.mkdir()
        rc = home / "getmailrc"
        rc.write_text(GETMAILRC.format(
            host=account.host, port=account.port,  # type: ignore[attr-defined]
            user=account.username, password=account.password,  # type: ignore[attr-defined]
            maildir=maildir, deliver_as="user = nobody\n" if as_root else ""))
        if as_root:
            uid, gid = pwd.getpwnam("nobody")[2:4]
            base.chmod(0o755)
            for path in [maildir, *maildir.rglob("*")]:
                os.chown(path, uid, gid)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), "--getmaildir", str(home),
                               "--rcfile", str(rc)], capture_output=True, text=True,
                              timeout=7200, cwd=base,
                              env={**os.environ, "HOME": str(home)})
        secs = time.perf_counter() - t0
        got = len(list((maildir / "new").iterdir()))
        if done.returncode != 0 or got != n:
            print(f"  getmail6 failed (exit {done.returncode}, {got} of {n} messages): "
                  f"{(done.stderr or done.stdout)[-1500:]}")
            return None
        return secs
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
