"""Memory of a 100 MB export written to S3 storage (survey/storage/s3.py), against the local disk.

Starts moto's S3 server in a subprocess on 127.0.0.1 (so its copy of the object is not counted
here), then in one fresh child process each: writes SIZE_MB of random bytes through
Storage.writer() in 64 KiB writes (as XlsxWriter's output does), and reads it back through
Storage.open(). Prints the child's peak RSS growth over its baseline (ru_maxrss after imports and
one warm-up write), the throughput, and the ratio to the local disk.

    .venv/bin/python bench/s3_upload_memory.py [SIZE_MB]
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import os, resource, sys, tempfile, time
sys.path.insert(0, ROOT)
from survey.storage import from_url
url, size_mb = sys.argv[1], int(sys.argv[2])
store = from_url(url, tempfile.mkdtemp())
chunk = os.urandom(64 * 1024)
store.put("exports/warm.xlsx", chunk * 16)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
with store.writer("exports/big.xlsx") as out:
    for _ in range(size_mb * 16):
        out.write(chunk)
t1 = time.perf_counter()
write_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = 0
with store.open("exports/big.xlsx") as fh:
    for part in iter(lambda: fh.read(1 << 20), b""):
        n += len(part)
t2 = time.perf_counter()
read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert n == size_mb * 1024 * 1024 and store.size("exports/big.xlsx") == n
print((write_peak - base) / 1024, (read_peak - write_peak) / 1024, t1 - t0, t2 - t1)
""".replace("ROOT", repr(str(ROOT)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(url: str, size_mb: int, env: dict) -> tuple[float, float, float, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, url, str(size_mb)], capture_output=True, text=True,
                          env=env, timeout=900)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return tuple(float(x) for x in done.stdout.split())


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        import boto3
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="bench")
        local_dir = ROOT / "instance" / "bench-storage"
        results = {"local": run(f"file://{local_dir}", size_mb, env),
                   "s3": run(f"s3://bench/exports-bench?endpoint_url={endpoint}", size_mb, env)}
    finally:
        server.terminate()
        server.wait(10)
    print(f"{size_mb} MB export through Storage.writer() then Storage.open() (64 KiB writes, 1 MiB reads)")
    print(f"{'backend':8} {'write peak RSS +MB':>19} {'read +MB':>9} {'write s':>8} {'read s':>7}")
    for name, (wmem, rmem, wt, rt) in results.items():
        print(f"{name:8} {wmem:19.1f} {rmem:9.1f} {wt:8.2f} {rt:7.2f}")
    ratio = results["s3"][2] / results["local"][2] if results["local"][2] else float("nan")
    print(f"s3 write time / local: {ratio:.1f}x (moto is a Python server); parts of 8 MiB: the write's memory is\n"
          "bounded by about two parts (the buffer and the part in flight), whatever the size")


if __name__ == "__main__":
    main()
