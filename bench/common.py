"""Shared pieces of the benchmarks: the machine, the generated mailbox, measured children.

Nothing here is timed. Every script imports this module first (it puts the repository
root on sys.path, so `python bench/X.py` works from the root without installing).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("MAILBOT_BENCH_CACHE",
                            Path(tempfile.gettempdir()) / "mailbot-bench-cache"))
GENERATOR_VERSION = 2  # bump when the generated mail changes, so old caches are not reused
MB = 2**20

# ---------------------------------------------------------------------------------------
# The machine


def _first(path: str, pattern: str) -> str:
    try:
        found = re.search(pattern, Path(path).read_text(), re.MULTILINE)
    except OSError:
        return "?"
    return found.group(1).strip() if found else "?"


def dovecot_version() -> str:
    try:
        out = subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except OSError:
        return "not installed"
    return out or "?"


def machine() -> dict[str, str]:
    mem_kib = _first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return {
        "cpus": str(os.cpu_count()),
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": _first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "memory": f"{int(mem_kib) / 2**20:.1f} GiB" if mem_kib.isdigit() else "?",
        "kernel": platform.release(),
        "os": _first("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)'),
        "python": platform.python_version(),
        "dovecot": dovecot_version(),
        "mailbot": git or "?",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def print_machine() -> dict[str, str]:
    m = machine()
    print(f"machine: nproc {m['nproc']}, {m['memory']}, {m['cpu']}; {m['os']}, "
          f"kernel {m['kernel']}; Python {m['python']}; Dovecot {m['dovecot']}; "
          f"mailbot {m['mailbot']}; {m['date']}")
    return m


def write_json(path: str | None, name: str, figures: dict[str, Any]) -> None:
    """With --json PATH, the figures and the machine as one JSON object."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({"bench": name, "machine": machine(), **figures},
                                         ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------------------
# Measured children: the real CLI in a child process that reports its own peak RSS.

# VmHWM read by the child itself, just before it exits: getrusage's ru_maxrss survives
# exec and would report the forked copy of the benchmark process when that is bigger.
_MEASURED = (
    "import os, re, resource, sys\n"
    "from mailbot.cli import main\n"
    "prof = os.environ.get('BENCH_PROFILE')\n"
    "if prof:\n"
    "    import cProfile\n"
    "    profiler = cProfile.Profile()\n"
    "    profiler.enable()\n"
    "try:\n"
    "    rc = main(sys.argv[1:])\n"
    "except SystemExit as e:\n"
    "    rc = e.code if isinstance(e.code, int) else 0\n"
    "if prof:\n"
    "    profiler.disable()\n"
    "    profiler.dump_stats(prof)\n"
    "u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "c = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "print('bench-child', hwm, u.ru_utime, u.ru_stime, c.ru_maxrss, c.ru_utime + c.ru_stime,\n"
    "      file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    stdout: str
    stderr: str
    # The parser worker process of a large poll (ru_maxrss: an upper bound, it may count
    # the copy of the poll process it was started from) and its CPU time.
    worker_peak_rss_mb: float = 0.0
    worker_cpu_seconds: float = 0.0


def mailbot_cmd(config: Path, *args: str) -> list[str]:
    """`mailbot --config CONFIG ARGS` in a child that reports its peak RSS."""
    return [sys.executable, "-c", _MEASURED, "--config", str(config), *args]


def run_measured(cmd: Sequence[str], *, timeout: float = 3600,
                 env: dict[str, str] | None = None) -> ChildRun:
    t0 = time.perf_counter()
    done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    secs = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:1] + list(cmd[3:]))} exited {done.returncode}:\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    found = re.findall(r"^bench-child (\d+) ([\d.]+) ([\d.]+) (\d+) ([\d.]+)$", done.stderr,
                       re.MULTILINE)
    if not found:
        raise RuntimeError(f"the child did not report its peak RSS:\n{done.stderr[-2000:]}")
    hwm, utime, stime, worker_rss, worker_cpu = found[-1]
    return ChildRun(secs, int(hwm) / 1024, float(utime) + float(stime), done.stdout,
                    done.stderr, int(worker_rss) / 1024, float(worker_cpu))


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (KiB) and cpu_ticks (utime + stime) of a running process."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return {"VmRSS": int(re.search(r"VmRSS:\s+(\d+)", status).group(1)),  # type: ignore[union-attr]
            "VmHWM": int(re.search(r"VmHWM:\s+(\d+)", status).group(1)),  # type: ignore[union-attr]
            "cpu_ticks": int(fields[11]) + int(fields[12])}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool, how: str) -> str:
    return ("MET" if ok else "MISSED") + f" ({how})"


# ---------------------------------------------------------------------------------------
# The generated mailbox: deterministic per message index, cached on disk.

UNIT_SENDERS = [
    "UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>",
    "Văn thư Hòa Nghĩa <vanthu.hoanghia@gmail.com>",
    "=?utf-8?b?VUJORCBwaMaw4budbmcgxJBhIFBow7pj?= <ubnddaphuc@example.gov.vn>",
    "Hội Liên hiệp Phụ nữ quận <hoiphunu@example.gov.vn>",
    "Phòng Tư pháp <tuphap@example.gov.vn>",
]
OTHER_SENDERS = [
    "Nguyễn Thị Mai <mai.nt@example.com>", "Trần Văn Bình <binhtv@gmail.com>",
    "Văn phòng HĐND-UBND <vanphong@example.org>", "Lê Thu Hà <ha.lethu@yahoo.com.vn>",
]
SUBJECTS = [
    "Gương người tốt việc tốt tháng 10/2023 - {unit}",
    "Báo cáo gương người tốt, việc tốt tháng 10 năm 2023",
    "V/v gửi danh sách điển hình tiên tiến T10/2023",
    "Re: Nhắc nộp báo cáo gương người tốt việc tốt tháng 10/2023",
    "Ảnh hoạt động phong trào thi đua yêu nước - {unit}",
    "Gửi bổ sung hồ sơ khen thưởng đột xuất",
    "Mời họp giao ban tuần 42",
    "Thông báo lịch công tác tuần của Lãnh đạo quận",
]
UNITS = ["UBND phường Hòa Nghĩa", "UBND phường Đa Phúc", "Hội Liên hiệp Phụ nữ quận",
         "Phòng Tư pháp", "Đoàn Thanh niên phường Hưng Đạo", "Trường THCS Anh Dũng"]
WORDS = " ".join((
    "đồng chí Nguyễn Văn An đã dũng cảm cứu người bị đuối nước trên sông Lạch Tray",
    "nhặt được của rơi trả lại người đánh mất gương mẫu trong phong trào thi đua",
    "giúp đỡ hộ nghèo xây dựng nhà tình nghĩa hiến đất làm đường giao thông nông thôn",
    "tổ dân phố số năm chấp hành tốt chủ trương đường lối của Đảng chính sách pháp luật",
    "của Nhà nước được nhân dân tin yêu quý mến đề nghị Ủy ban nhân dân quận khen thưởng",
    "kịp thời để động viên khích lệ tinh thần người tốt việc tốt lan tỏa trong cộng đồng",
    "trân trọng báo cáo kính gửi Phòng Nội vụ quận Dương Kinh thành phố Hải Phòng",
)).split()

# Photos: 0.2-3 MB with density ~ x^-2.4 (mean ~0.49 MB): with 60% of messages carrying
# 1-3 of them, 30% a 50-500 KB document and 1% a 20 MB file, a message averages ~1.2 MB
# once base64-encoded.
PHOTO_MIN_MB, PHOTO_MAX_MB, PHOTO_EXPONENT = 0.2, 3.0, 2.4
BIG_EVERY = 100  # message i with i % 100 == 50 carries the 20 MB file: exactly 1%
BIG_MB = 20
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
DOCX_HEAD = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"
PDF_HEAD = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _photo_size(rng: random.Random) -> int:
    a, b, k = PHOTO_MIN_MB, PHOTO_MAX_MB, PHOTO_EXPONENT
    u = rng.random()
    mb = (a ** (1 - k) + u * (b ** (1 - k) - a ** (1 - k))) ** (1 / (1 - k))
    return int(mb * MB)


def vietnamese_text(rng: random.Random, words: int) -> str:
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(WORDS))
        if len(line) >= rng.randint(9, 16):
            lines.append(" ".join(line).capitalize() + ".")
            line = []
    if line:
        lines.append(" ".join(line).capitalize() + ".")
    return "\n".join(lines) + "\n"


def build_mail(*, subject: str, sender: str, body: str, message_id: str, date: datetime,
               files: Sequence[tuple[str, bytes, str]] = (), html: bool = False,
               to: str = "noivuduongkinh@example.com") -> bytes:
    """One message as bytes (CRLF line ends). Bodies are encoded as mail clients do
    (base64 and quoted-printable in lines of 76 characters); headers are written
    unfolded (< 998 characters: CPython's folding drops the space between two
    encoded-words it splits, see demo/samples.py). Boundaries are fixed, so the same
    arguments give the same bytes."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(date)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    if html:
        paras = "".join(f"<p>{p}</p>" for p in body.splitlines())
        msg.add_alternative(f"<html><body>{paras}</body></html>", subtype="html")
    for name, data, mime in files:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    token = hashlib.sha256(message_id.encode()).hexdigest()[:16]
    for k, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_bench_{token}_{k}")
    return msg.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))


def generated_mail(i: int, seed: int = 2023) -> bytes:
    """Message number ``i`` of the generated mailbox: the same bytes on every machine."""
    rng = random.Random(seed * 1_000_003 + i)
    unit = rng.choice(UNITS)
    files: list[tuple[str, bytes, str]] = []
    if i % BIG_EVERY == BIG_EVERY // 2:
        files.append((f"Hồ sơ quét {i} - {unit}.pdf",
                      PDF_HEAD + rng.randbytes(BIG_MB * MB - len(PDF_HEAD)), "application/pdf"))
    else:
        u = rng.random()
        if u < 0.606:  # ~60% of all messages
            for k in range(rng.randint(1, 3)):
                size = _photo_size(rng)
                files.append((f"ảnh hoạt động {i}-{k + 1}.jpg",
                              JPEG_HEAD + rng.randbytes(size - len(JPEG_HEAD)), "image/jpeg"))
        elif u < 0.909:  # ~30%
            size = rng.randint(50, 500) * 1024
            files.append((f"Báo cáo gương người tốt {i}.docx",
                          DOCX_HEAD + rng.randbytes(size - len(DOCX_HEAD)), DOCX_TYPE))
    sender = rng.choice(UNIT_SENDERS if rng.random() < 0.85 else OTHER_SENDERS)
    when = datetime(2023, 10, 1 + i % 14, 7 + i % 10, i % 60, tzinfo=UTC)
    return build_mail(subject=rng.choice(SUBJECTS).format(unit=unit), sender=sender,
                      body="Kính gửi Phòng Nội vụ,\n\n" + vietnamese_text(rng, rng.randint(
                          60, 600)) + "\nTrân trọng,\nVăn thư đơn vị\n",
                      message_id=f"<bench-{seed}-{i}@example.gov.vn>", date=when,
                      files=files, html=rng.random() < 0.7)


def mailbox_files(n: int, seed: int = 2023, *, quiet: bool = False) -> list[Path]:
    """Paths of messages 0..n-1 of the generated mailbox, generating the missing ones.
    The mailbox for N=200 is the first 200 messages of the one for N=2,000."""
    folder = CACHE / f"v{GENERATOR_VERSION}-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{i:06d}.eml" for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not p.exists()]
    if missing and not quiet:
        print(f"generating {len(missing)} message(s) into {folder} (cached for next runs)...",
              flush=True)
    t0 = time.perf_counter()
    for done, i in enumerate(missing, 1):
        raw = generated_mail(i, seed)
        tmp = paths[i].with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(paths[i])
        if not quiet and done % 250 == 0:
            print(f"  {done}/{len(missing)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return paths


def single_message_file(total_mb: float, seed: int = 30) -> Path:
    """One submission whose encoded size is about ``total_mb`` MB (one scanned PDF)."""
    path = CACHE / f"v{GENERATOR_VERSION}-single-{total_mb:g}MB.eml"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        rng = random.Random(seed)
        data = PDF_HEAD + rng.randbytes(int(total_mb * MB / 1.3684) - len(PDF_HEAD))
        raw = build_mail(subject="Gương người tốt việc tốt tháng 10/2023 - hồ sơ quét",
                         sender=UNIT_SENDERS[0], body="Kính gửi Phòng Nội vụ,\n"
                         + vietnamese_text(rng, 120), message_id=f"<single-{total_mb:g}@bench>",
                         date=datetime(2023, 10, 10, 2, tzinfo=UTC),
                         files=[("Hồ sơ khen thưởng (bản quét).pdf", data, "application/pdf")])
        path.write_bytes(raw)
    return path


# ---------------------------------------------------------------------------------------
# A private Dovecot filled with the generated mailbox


def fill(account: Any, paths: Sequence[Path], *, when: datetime | None = None) -> float:
    """APPEND every file to INBOX over one connection; returns the MB appended."""
    when = when or datetime(2023, 10, 10, 9, tzinfo=UTC)
    total = 0
    with account.client() as c:
        c._imap.debug = 0  # imaplib's trace through imapclient's logger is ~12x slower
        for p in paths:
            raw = p.read_bytes()
            total += len(raw)
            c.append("INBOX", raw, (), when)
    return total / MB


def imap_batches(sizes: dict[int, int], max_bytes: int = 32 * MB, max_count: int = 500
                 ) -> Iterator[list[int]]:
    """UIDs grouped by bytes like mailbot's own FETCH batches."""
    batch: list[int] = []
    size = 0
    for uid in sorted(sizes):
        if batch and (size + sizes[uid] > max_bytes or len(batch) >= max_count):
            yield batch
            batch, size = [], 0
        batch.append(uid)
        size += sizes[uid]
    if batch:
        yield batch


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(MB):
            h.update(chunk)
    return h.hexdigest()


def free_disk_gb(path: Path) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / 2**30


def print_profile(path: Path, top: int = 25) -> None:
    """The heaviest functions of a cProfile dump, by own time and by cumulative time."""
    import pstats

    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\nprofile {path} ({total:.1f} s of profiled time):")
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative")):
        print(f"  top {top} by {title}:")
        entries = stats.stats  # type: ignore[attr-defined]
        rows = sorted(entries.items(), key=lambda kv: kv[1][2 if key == "tottime" else 3],
                      reverse=True)[:top]
        for (file, line, fn), (_cc, nc, tt, ct, _callers) in rows:
            where = re.sub(r".*/(site-packages|lib/python3\.\d+|main)/", "", file)
            print(f"    {100 * (tt if key == 'tottime' else ct) / total:5.1f}%  "
                  f"{tt:7.2f} own {ct:7.2f} cum {nc:>8} calls  {where}:{line} {fn}")


def py_spy_cmd(cmd: Sequence[str], out: str) -> list[str]:
    """``cmd`` under py-spy (pip install py-spy), writing collapsed stacks to ``out``."""
    here = Path(sys.executable).parent / "py-spy"
    idle = ["--idle"] if os.environ.get("PYSPY_IDLE") else []  # also sample waiting threads
    return [str(here) if here.exists() else "py-spy", "record", "--format", "raw", "--rate",
            "200", *idle, "--output", out, "--", *cmd]


def print_collapsed(path: Path, top: int = 25) -> None:
    """The heaviest functions (all lines of a function together) of py-spy's collapsed
    stacks: own and inclusive samples."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", re.sub(
            r" \(.*?(site-packages|python3\.\d+|main)/", " (", f)) for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in set(frames):
            incl[f] = incl.get(f, 0) + n
    print(f"\npy-spy {path}: {total} samples")
    for title, table in (("own", own), ("inclusive", incl)):
        print(f"  top {top} by {title} samples:")
        for f, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {100 * n / total:5.1f}%  {f}")
