"""Benchmark of the dfp1 fingerprint against ``sha256sum`` on one large file.

Creates (or reuses, with ``--file``) a file of pseudo-random bytes, warms the page cache, then
times ``sha256sum`` and ``fingerprint_path`` on it, best of ``--runs`` each. Every fingerprint
run happens in a fresh child process so that its peak resident set size can be reported. The
goal is a fingerprint throughput of at least 0.7 times that of ``sha256sum``.

    .venv/bin/python bench/bench_fingerprint.py                      # 1 GiB in a temp dir
    .venv/bin/python bench/bench_fingerprint.py --size-mib 256 --runs 5
    .venv/bin/python bench/bench_fingerprint.py --file bench/out/1g.bin   # created once, reused

Exits 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GOAL = 0.7
MIB = 1 << 20


@dataclass(frozen=True)
class FingerprintRun:
    seconds: float
    fingerprint: str
    peak_rss_bytes: int
    startup_rss_bytes: int


def create_file(path: Path, size_mib: int) -> None:
    """Writes ``size_mib`` MiB of seeded pseudo-random bytes to ``path``."""
    generator = random.Random(6962)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for _ in range(size_mib):
            handle.write(generator.randbytes(MIB))


def warm_cache(path: Path) -> None:
    """Reads the whole file once so that every timed run starts from the page cache."""
    buffer = bytearray(8 * MIB)
    with path.open("rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass


def time_sha256sum(path: Path) -> float:
    binary = shutil.which("sha256sum")
    if binary is None:
        raise SystemExit("sha256sum is not installed")
    start = time.perf_counter()
    subprocess.run([binary, str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_fingerprint(path: Path) -> FingerprintRun:
    """Runs one fingerprint in a child process (see :func:`worker`)."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(completed.stdout)
    return FingerprintRun(
        seconds=report["seconds"],
        fingerprint=report["fingerprint"],
        peak_rss_bytes=report["peak_rss_kib"] * 1024,
        startup_rss_bytes=report["startup_rss_kib"] * 1024,
    )


def worker(path: Path) -> None:
    """Child side: fingerprints ``path`` once and prints timing and peak RSS as JSON."""
    from registry.evidence.fingerprint import fingerprint_path

    startup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = fingerprint_path(path)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {
        "seconds": seconds,
        "fingerprint": result.hex,
        "peak_rss_kib": peak,
        "startup_rss_kib": startup,
    }
    print(json.dumps(report))


@contextmanager
def dataset_file(requested: Path | None, size_mib: int) -> Iterator[Path]:
    """The file to benchmark: reused if it exists, created otherwise (in a temp dir if unnamed)."""
    if requested is not None:
        if not requested.exists():
            print(f"creating {requested} ({size_mib} MiB) ...", flush=True)
            create_file(requested, size_mib)
        yield requested
        return
    with tempfile.TemporaryDirectory(prefix="dfp1-bench-") as scratch:
        path = Path(scratch) / "data.bin"
        print(f"creating {path} ({size_mib} MiB) ...", flush=True)
        create_file(path, size_mib)
        yield path


def megabytes_per_second(size: int, seconds: float) -> float:
    return size / 1e6 / seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="file to use; created if missing, then kept")
    parser.add_argument("--size-mib", type=int, default=1024, help="size of a created file")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool (best counts)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker is not None:
        worker(arguments.worker)
        return 0

    with dataset_file(arguments.file, arguments.size_mib) as path:
        size = path.stat().st_size
        warm_cache(path)
        sha_seconds = min(time_sha256sum(path) for _ in range(arguments.runs))
        warm_cache(path)
        runs = [time_fingerprint(path) for _ in range(arguments.runs)]

    if len({run.fingerprint for run in runs}) != 1:
        print("error: the fingerprint differed between runs", file=sys.stderr)
        return 1
    best = min(runs, key=lambda run: run.seconds)
    peak = max(run.peak_rss_bytes for run in runs)
    startup = max(run.startup_rss_bytes for run in runs)
    sha_rate = megabytes_per_second(size, sha_seconds)
    fp_rate = megabytes_per_second(size, best.seconds)
    ratio = fp_rate / sha_rate
    verdict = "PASS" if ratio >= GOAL else "FAIL"

    print(f"file          {path} ({size / MIB:.0f} MiB, page cache warm)")
    print(f"runs          best of {arguments.runs}")
    print(f"sha256sum     {sha_seconds:8.3f} s  {sha_rate:8.1f} MB/s")
    print(f"dfp1          {best.seconds:8.3f} s  {fp_rate:8.1f} MB/s  {best.fingerprint}")
    print(f"ratio         {ratio:.2f} x sha256sum (goal >= {GOAL})")
    print(
        f"peak RSS      {peak / MIB:.1f} MiB in the fingerprint process "
        f"({startup / MIB:.1f} MiB after start-up and imports)"
    )
    print(
        f"SUMMARY dfp1 {size / MIB:.0f} MiB: {fp_rate:.0f} MB/s vs sha256sum {sha_rate:.0f} MB/s, "
        f"ratio {ratio:.2f} (goal >= {GOAL}) {verdict}, peak RSS {peak / MIB:.1f} MiB"
    )
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
