"""Package build: freeze a month and build (and split) the package for the Board.

    python bench/package.py [--units 1000] [--submissions 3000] [--gb 2]
                            [--profile FILE | --py-spy FILE] [--json FILE]

Setup (not timed): a config with --units units, a fresh database holding --submissions
submissions for 10/2023 (spread over the units, Vietnamese subjects and texts, 1-3 files
each: photos, .docx, .pdf) and --gb GB of incompressible attachments in the file store,
and a recording SMTP server on loopback (mailbot asks it for its EHLO SIZE).

Measured, each in a child process that reads its own VmHWM:
  build: what the daemon does on the freeze day -- freeze the month, compose every email
         of the package (files read from the store, .docx and .xlsx generated, split by
         the 20 MB limit, MIME built) and commit them to the outbox. Nothing is sent.
         Stage times come from wrappers around mailbot's functions (no code changed).
  baseline: the floor of the same job -- read every attachment of the month from the
         store and base64-encode it, 20 MB at a time, keeping nothing.
Target: < 30 s and peak RSS < 300 MB for 1,000 units / 2 GB.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import MB

TARGET_SECONDS, TARGET_RSS_MB = 30, 300
PLACES = ["Hòa Nghĩa", "Đa Phúc", "Hưng Đạo", "Anh Dũng", "Hải Thành", "Tân Thành",
          "Đông Hải", "Nam Hải", "Đằng Lâm", "Thành Tô", "Lãm Hà", "Quán Trữ", "Vĩnh Niệm",
          "Bàng La", "Minh Đức", "Ngọc Xuyên", "Vạn Hương", "Hợp Đức", "Tràng Cát", "Kênh Dương"]
KINDS = ["UBND phường", "Trường Tiểu học", "Trường THCS", "Trạm Y tế phường",
         "Hội Liên hiệp Phụ nữ phường", "Đoàn Thanh niên phường", "Hội Cựu chiến binh phường",
         "Công an phường", "Chi bộ khu dân cư", "Tổ dân phố số 3"]
NOW = datetime(2023, 10, 17, 1, tzinfo=UTC)  # 08:00 in Hà Nội on the freeze day


def unit_name(i: int) -> str:
    return f"{KINDS[i % len(KINDS)]} {PLACES[(i // len(KINDS)) % len(PLACES)]}" + (
        f" {i // (len(KINDS) * len(PLACES)) + 1}" if i >= len(KINDS) * len(PLACES) else "")


def write_toml(base: Path, units: int, smtp: Any, limit_mb: int) -> Path:
    (base / "pw").write_text("x\n")
    lines = [
        'timezone = "Asia/Ho_Chi_Minh"', 'data_dir = "var"',
        "[database]", 'url = "sqlite:///var/mailbot.db"',
        "[imap]", 'host = "127.0.0.1"', "port = 1", 'security = "plain"',
        'username = "noivuduongkinh@example.com"', 'password_file = "pw"',
        "[smtp]", 'host = "127.0.0.1"', f"port = {smtp.port}", 'security = "plain"',
        'from_address = "noivuduongkinh@example.com"', 'from_name = "Phòng Nội vụ quận"',
        "[office]", 'emails = ["truongphong.noivu@example.gov.vn"]',
        "[board]", 'to = ["banthiduakhenthuong@example.gov.vn"]',
        f"size_limit_mb = {limit_mb}"]
    for i in range(units):
        lines += ["[[units]]", f'code = "u{i:04d}"', f'name = "{unit_name(i)}"',
                  f'emails = ["u{i:04d}@example.gov.vn"]']
    path = base / "mailbot.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fill(config: Path, units: int, submissions: int, gb: float, seed: int) -> tuple[int, int]:
    """The month's ledger and files (written without fsync: this is setup)."""
    from sqlalchemy import insert

    from mailbot.adapters.db.engine import upgrade
    from mailbot.adapters.db.schema import attachments, messages
    from mailbot.app import App
    from mailbot.config import load_config

    app = App.open(load_config(config), check_schema=False)
    upgrade(app.engine)
    rng = random.Random(seed)
    plan = []  # (unit, [(name, type, weight)])
    for s in range(submissions):
        files = []
        for k in range(rng.choice((1, 1, 2, 2, 3, 3, 3))):
            kind = rng.random()
            if kind < 0.65:
                files.append((f"ảnh hoạt động {k + 1}.jpg", "image/jpeg", rng.uniform(0.3, 1.6)))
            elif kind < 0.85:
                files.append((f"Báo cáo thành tích {k + 1}.docx", common.DOCX_TYPE,
                              rng.uniform(0.1, 0.8)))
            else:
                files.append((f"Danh sách đề nghị khen thưởng {k + 1}.pdf", "application/pdf",
                              rng.uniform(0.3, 2.5)))
        plan.append((s % units, files))
    scale = gb * 2**30 / sum(w for _, files in plan for *_, w in files)
    heads = {"image/jpeg": common.JPEG_HEAD, "application/pdf": common.PDF_HEAD,
             common.DOCX_TYPE: common.DOCX_HEAD}
    root = app.files.root
    nfiles = 0
    with app.engine.begin() as conn:
        for s, (unit, files) in enumerate(plan):
            when = datetime(2023, 9, 18, 2, tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 27 * 24 * 60))
            text = "Kính gửi Phòng Nội vụ,\n" + common.vietnamese_text(rng, rng.randint(80, 300))
            mid = conn.execute(insert(messages).values(
                folder="INBOX", uidvalidity=1, uid=s + 1, raw_sha256="0" * 64, raw_size=1,
                message_id=f"<pkg-{s}@example.gov.vn>", received_at=when, created_at=when,
                from_addr=f"u{unit:04d}@example.gov.vn", from_name=unit_name(unit),
                disposition="submission", reason="", unit=f"u{unit:04d}", period="2023-10",
                late=False, attempts=1, processed_at=when,
                subject=f"Gương người tốt việc tốt tháng 10/2023 - {unit_name(unit)}",
                body_text=text)).inserted_primary_key[0]
            for k, (name, ctype, weight) in enumerate(files):
                data = heads[ctype] + rng.randbytes(max(1024, int(weight * scale)))
                sha = hashlib.sha256(data).hexdigest()
                path = root / sha[:2] / sha[2:]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                nfiles += 1
                conn.execute(insert(attachments).values(
                    message=mid, position=k, filename=name, display_name=name,
                    content_type=ctype, size=len(data), sha256=sha, from_forward=False))
    app.close()
    return nfiles, sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------
# The children


def _hwm_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def child_build(config: Path) -> dict[str, Any]:
    import mailbot.jobs.digest as digest
    import mailbot.jobs.outgoing as outgoing
    from mailbot.adapters.db.outbox import Outbox
    from mailbot.app import App
    from mailbot.config import load_config
    from mailbot.core.model import Period

    stages: dict[str, float] = defaultdict(float)

    def timed(module: Any, name: str, label: str) -> None:
        fn = getattr(module, name)

        @functools.wraps(fn)
        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                stages[label] += time.perf_counter() - t0

        setattr(module, name, wrapper)

    for name, label in (("submission_records", "ledger queries"),
                        ("build_digest", "digest as data"),
                        ("digest_notice", "email context (digest_notice)"),
                        ("pack_files", "pack + split"), ("split_parts", "pack + split")):
        timed(digest, name, label)
    timed(digest, "_documents", ".docx and .xlsx (child process)")
    timed(outgoing, "render", "templates")
    timed(outgoing, "build_message", "MIME build")
    app = App.open(load_config(config))
    timed(app.files, "get", "read files from the store")
    start_hwm = _hwm_mb()
    t0 = time.perf_counter()
    row = digest.freeze(app, Period(2023, 10), NOW)
    added = Outbox(app.engine).add(digest.compose_package(app, row, NOW, preview=False), NOW)
    secs = time.perf_counter() - t0
    sizes = [size for _, _, size in Outbox(app.engine).due(NOW)]
    accounted = sum(stages.values())
    stages["outbox inserts (SQLite) and the rest"] = secs - accounted
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the docs child
    return {"seconds": secs, "peak_rss_mb": _hwm_mb(), "rss_before_mb": start_hwm,
            "child_peak_rss_mb": children,
            "emails": len(added), "largest_email_mb": max(sizes) / MB,
            "largest_part": sizes.index(max(sizes)) + 1,
            "total_email_mb": sum(sizes) / MB, "submissions": len(row.messages),
            "stages": dict(stages)}


def child_baseline(config: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from mailbot.adapters.db.schema import attachments
    from mailbot.app import App
    from mailbot.config import load_config

    app = App.open(load_config(config))
    t0 = time.perf_counter()
    with app.engine.connect() as conn:
        shas = [r.sha256 for r in conn.execute(select(attachments.c.sha256))]
    group = encoded = 0
    for sha in shas:
        data = app.files.get(sha)
        text = base64.encodebytes(data)
        encoded += len(text)
        group += len(text)
        if group > 20 * MB:
            group = 0
        del data, text
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _hwm_mb(),
            "encoded_mb": encoded / MB, "files": len(shas)}


def run_child(mode: str, config: Path, profile: str | None = None,
              py_spy: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, f"--child-{mode}", str(config)]
    if profile:
        cmd = [sys.executable, "-m", "cProfile", "-o", profile, *cmd[1:]]
    elif py_spy:
        cmd = common.py_spy_cmd(cmd, py_spy)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(common.ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    last = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    result: dict[str, Any] = json.loads(last)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--submissions", type=int, default=3000)
    ap.add_argument("--gb", type=float, default=2.0, help="attachments on disk, GB")
    ap.add_argument("--limit-mb", type=int, default=20, help="[board] size_limit_mb")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--profile", metavar="FILE", help="cProfile the build child into FILE")
    ap.add_argument("--py-spy", metavar="FILE", help="sample the build child with py-spy")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--child-build", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-baseline", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_build or args.child_baseline:
        result = (child_build(args.child_build) if args.child_build
                  else child_baseline(args.child_baseline))
        print(json.dumps(result))
        return 0

    common.print_machine()
    from tests.servers.smtp import SmtpServer

    need = args.gb * 2.6 + 1  # the store, the outbox's copy (base64), slack
    if common.free_disk_gb(Path(tempfile.gettempdir())) < need:
        print(f"cannot run: about {need:.0f} GB must be free in {tempfile.gettempdir()}")
        return 1
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp, SmtpServer() as smtp:
        base = Path(tmp)
        config = write_toml(base, args.units, smtp, args.limit_mb)
        t0 = time.perf_counter()
        nfiles, nbytes = fill(config, args.units, args.submissions, args.gb, args.seed)
        print(f"setup: {args.units} units, {args.submissions} submissions, {nfiles} files, "
              f"{nbytes / 2**30:.2f} GB in the store ({time.perf_counter() - t0:.0f} s)",
              flush=True)
        baseline = run_child("baseline", config)
        print(f"  baseline: read + base64 every file   {baseline['seconds']:6.1f} s  "
              f"peak RSS {baseline['peak_rss_mb']:5.0f} MB", flush=True)
        build = run_child("build", config, args.profile, args.py_spy)
        print(f"  mailbot: freeze + compose + outbox   {build['seconds']:6.1f} s  "
              f"peak RSS {build['peak_rss_mb']:5.0f} MB (at start {build['rss_before_mb']:.0f}; "
              f"the .docx/.xlsx child process {build['child_peak_rss_mb']:.0f} MB)")
    print(f"  -> {build['submissions']} submissions in {build['emails']} emails, "
          f"{build['total_email_mb']:.0f} MB in all, largest {build['largest_email_mb']:.1f} MB "
          f"(part {build['largest_part']}) "
          f"(limit {args.limit_mb} MB)")
    if build["largest_email_mb"] > args.limit_mb:
        print(f"  !! an email of the package exceeds the {args.limit_mb} MB limit: a server "
              "enforcing it would refuse that part")
    print("  stages (inclusive wall time):")
    for label, secs in sorted(build["stages"].items(), key=lambda kv: -kv[1]):
        print(f"    {secs:6.1f} s  {100 * secs / build['seconds']:4.0f}%  {label}")
    print(f"\nratio build/baseline: time {build['seconds'] / baseline['seconds']:.1f}x, "
          f"peak RSS {build['peak_rss_mb'] / baseline['peak_rss_mb']:.1f}x")
    print(f"target < {TARGET_SECONDS} s: " + common.verdict(
        build["seconds"] < TARGET_SECONDS, f"{build['seconds']:.1f} s"))
    print(f"target peak RSS < {TARGET_RSS_MB} MB: " + common.verdict(
        build["peak_rss_mb"] < TARGET_RSS_MB, f"{build['peak_rss_mb']:.0f} MB"))
    if args.profile:
        common.print_profile(Path(args.profile))
    if args.py_spy:
        common.print_collapsed(Path(args.py_spy), top=30)
    common.write_json(args.json, "package", {
        "units": args.units, "submissions": args.submissions, "files": nfiles,
        "store_gb": nbytes / 2**30, "baseline": baseline, "build": build})
    return 0


if __name__ == "__main__":
    sys.exit(main())
