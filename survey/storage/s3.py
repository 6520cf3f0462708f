"""Files in an S3-compatible bucket (MinIO, Ceph RGW, a cloud OSS, AWS S3), for several app hosts.

STORAGE_URL = s3://bucket/prefix?endpoint_url=http://minio:9000&region=cn-north-1&serve=stream

  bucket        the bucket (it must exist; the app never creates one)
  /prefix       optional: every key lives under "<prefix>/<namespace>/<name>"
  endpoint_url  the S3 endpoint (empty: AWS itself)
  region        the region name (default us-east-1; most self-hosted stores ignore it)
  addressing    path (the default: works with MinIO/RGW without wildcard DNS) or virtual
  serve         stream (the default: the app streams the bytes, so users never reach the store)
                or presign (a 302 to a presigned URL valid presign_seconds, default 300)

Credentials are boto3's own chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN),
AWS_PROFILE with ~/.aws/credentials, or an instance role. They never go in STORAGE_URL.

Atomicity: every write is a multipart upload, created when the writer opens and completed when its
block ends; S3 publishes the object only at completion, whole, so a reader sees the old bytes, the
new ones or nothing. An exception aborts the upload; an upload left open by a crashed process is
aborted by discard_partial() once old (by the upload's Initiated time, as the store reports it). Memory per write is one part (PART_SIZE), whatever the size.
"""
from __future__ import annotations

import io
import os
import threading
import time
from contextlib import contextmanager
from typing import BinaryIO, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, abort, redirect, request, send_file

from survey.storage.base import (
    NAMESPACES, Entry, Storage, StorageUnavailable, check_key, check_prefix, valid_name)

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (but for the last); one part is held in memory
MISSING = {"404", "NoSuchKey", "NotFound"}
SERVE_MODES = ("stream", "presign")


_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def _client(endpoint_url: str | None, region: str, addressing: str):
    """One boto3 client per endpoint in a process (clients are thread-safe; building one costs
    tens of milliseconds and a new connection pool). Credentials: boto3's chain, read once."""
    spec = (endpoint_url, region, addressing, os.getpid())
    with _clients_lock:
        if spec not in _clients:
            _clients[spec] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, region_name=region,
                config=Config(s3={"addressing_style": addressing}, retries={"max_attempts": 3, "mode": "standard"},
                              connect_timeout=5, read_timeout=60))
        return _clients[spec]


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in MISSING


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Any failure of the store but a missing key (which callers see as FileNotFoundError or None)
    becomes StorageUnavailable: a 503 with a clear message, never a 500."""
    try:
        yield
    except ClientError as exc:
        if _missing(exc):
            raise
        code = exc.response.get("Error", {}).get("Code", "?")
        raise StorageUnavailable(f"S3 {what} refused: {code}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"S3 {what} failed: {exc.__class__.__name__}") from exc


class S3Storage(Storage):
    remote = True

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str = "us-east-1", addressing: str = "path", serve: str = "stream",
                 presign_seconds: int = 300, part_size: int = PART_SIZE) -> None:
        if serve not in SERVE_MODES:
            raise ValueError(f"STORAGE_URL 的 serve 只能是 stream 或 presign：{serve}")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.serve, self.presign_seconds, self.part_size = serve, presign_seconds, part_size
        self.client = _client(endpoint_url or None, region, addressing)

    @classmethod
    def from_url(cls, url: str) -> "S3Storage":
        parts = urlsplit(url)
        if "@" in parts.netloc:
            raise ValueError("STORAGE_URL 中不能写密钥：请用 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY 环境变量")
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL 缺少存储桶名：{url}（如 s3://bucket/prefix?endpoint_url=...）")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region", "addressing", "serve", "presign_seconds"}
        if unknown:
            raise ValueError(f"STORAGE_URL 有无法识别的参数：{'、'.join(sorted(unknown))}")
        if query.get("addressing", "path") not in ("path", "virtual"):
            raise ValueError("STORAGE_URL 的 addressing 只能是 path 或 virtual")
        seconds = query.get("presign_seconds", "300")
        if not seconds.isdigit() or not 1 <= int(seconds) <= 7 * 24 * 3600:
            raise ValueError("STORAGE_URL 的 presign_seconds 须为 1 到 604800 之间的整数")
        return cls(parts.netloc, unquote(parts.path), endpoint_url=query.get("endpoint_url"),
                   region=query.get("region", "us-east-1"), addressing=query.get("addressing", "path"),
                   serve=query.get("serve", "stream"), presign_seconds=int(seconds))

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    # --- keys ----------------------------------------------------------------------------------

    def _object(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        name = self._object(key)
        with _guarded("write"):
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]
        out = _PartWriter(self.client, self.bucket, name, upload_id, self.part_size)
        try:
            yield out
            out.finish()
        except BaseException:
            out.abort()
            raise

    def discard_partial(self, older_than_seconds: float, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - older_than_seconds
        removed = 0
        with _guarded("list uploads"):
            for namespace in NAMESPACES:
                removed += self._abort_older(namespace, cutoff)
        return removed

    def _abort_older(self, namespace: str, cutoff: float) -> int:
        removed, prefix = 0, self._object(f"{namespace}/x")[:-1]
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() > cutoff:
                    continue  # may still be in progress on some host
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
                    removed += 1
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":  # another host won
                        raise
        return removed

    # --- reading -------------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        name = self._object(key)
        try:
            with _guarded("read"):
                return self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def _head(self, key: str) -> dict | None:
        try:
            with _guarded("head"):
                return self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def size(self, key: str) -> int | None:
        found = self._head(key)
        return None if found is None else found["ContentLength"]

    def delete(self, key: str) -> bool:
        if self._head(key) is None:
            return False
        with _guarded("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=self._object(key))
        return True

    def list(self, prefix: str) -> Iterator[Entry]:
        namespace = check_prefix(prefix)
        base = self._object(f"{namespace}/x")[:-1]
        start = prefix.partition("/")[2]
        with _guarded("list"):
            pages = list(self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                              Prefix=base + start))
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(base):]
                if valid_name(name):  # a foreign object ("a/b", "名.jpg") is never one of ours
                    yield Entry(f"{namespace}/{name}", obj["Size"], obj["LastModified"].timestamp())

    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool,
             etag: str | None = None, max_age: int | None = None) -> Response:
        found = self._head(key)
        if found is None:
            abort(404)
        if self.serve == "presign":
            return self._redirect(key, mimetype, download_name, as_attachment)
        reader = _RangeReader(self.client, self.bucket, self._object(key), found["ContentLength"])
        resp = send_file(reader, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name,
                         conditional=False, etag=etag if etag is not None else found["ETag"].strip('"'),
                         last_modified=found["LastModified"], max_age=max_age)
        resp.content_length = found["ContentLength"]
        try:
            return resp.make_conditional(request.environ, accept_ranges=True,
                                         complete_length=found["ContentLength"])
        except BaseException:
            reader.close()
            raise

    def _redirect(self, key: str, mimetype: str, download_name: str, as_attachment: bool) -> Response:
        # The disposition header the store will send, built as send_file builds it.
        disposition = send_file(io.BytesIO(), mimetype=mimetype, as_attachment=as_attachment,
                                download_name=download_name).headers["Content-Disposition"]
        url = self.client.generate_presigned_url(
            "get_object", ExpiresIn=self.presign_seconds,
            Params={"Bucket": self.bucket, "Key": self._object(key), "ResponseContentType": mimetype,
                    "ResponseContentDisposition": disposition})
        resp = redirect(url, 302)
        resp.headers["Cache-Control"] = "no-store"  # the link expires; never cache the redirect
        return resp

    def check(self) -> str | None:
        """None when the bucket answers; else why not, for /healthz and the operator."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            return f"存储桶 {self.bucket} 不可用：{exc.response.get('Error', {}).get('Code', exc)}"
        except BotoCoreError as exc:
            return f"无法连接对象存储：{exc}"
        return None


class _PartWriter(io.RawIOBase):
    """A write-only file that uploads each full part as it fills: at most one part in memory."""

    def __init__(self, client, bucket: str, name: str, upload_id: str, part_size: int) -> None:
        super().__init__()
        self.client, self.bucket, self.name, self.upload_id = client, bucket, name, upload_id
        self.part_size, self.buffer, self.parts = part_size, bytearray(), []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self.buffer += view
        while len(self.buffer) >= self.part_size:
            with memoryview(self.buffer) as whole:
                part = whole[:self.part_size].tobytes()  # one copy, released once sent
            del self.buffer[:self.part_size]
            self._upload(part)
            del part
        return len(view)

    def _upload(self, body: bytes) -> None:
        number = len(self.parts) + 1
        with _guarded("write"):
            done = self.client.upload_part(Bucket=self.bucket, Key=self.name, UploadId=self.upload_id,
                                       PartNumber=number, Body=body)
        self.parts.append({"PartNumber": number, "ETag": done["ETag"]})

    def finish(self) -> None:
        if self.buffer or not self.parts:  # the last part may be short (or the only, empty one)
            self._upload(bytes(self.buffer))
            self.buffer = bytearray()
        with _guarded("write"):
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.name, UploadId=self.upload_id,
                                                  MultipartUpload={"Parts": self.parts})

    def abort(self) -> None:
        self.buffer = bytearray()
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.name, UploadId=self.upload_id)
        except Exception:  # noqa: BLE001 - best effort (also at interpreter exit); discard_partial() aborts it later
            pass


class _RangeReader(io.RawIOBase):
    """The object as a seekable stream: a GET from the position read, reopened after a seek, so a
    Range request fetches only its bytes from the store."""

    def __init__(self, client, bucket: str, name: str, size: int) -> None:
        super().__init__()
        self.client, self.bucket, self.name, self.length = client, bucket, name, size
        self.pos, self.body = 0, None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self.pos + offset, io.SEEK_END: self.length + offset}[whence]
        if target != self.pos:
            self._drop()
            self.pos = max(0, target)
        return self.pos

    def readinto(self, buffer) -> int:
        if self.pos >= self.length:
            return 0
        if self.body is None:
            try:
                with _guarded("read"):
                    self.body = self.client.get_object(Bucket=self.bucket, Key=self.name,
                                                   Range=f"bytes={self.pos}-")["Body"]
            except ClientError as exc:
                if _missing(exc):  # deleted after the check: end the body short
                    return 0
                raise
        data = self.body.read(len(buffer))
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self.length - self.pos)
        buffer = bytearray(min(size, max(0, self.length - self.pos)))
        count = self.readinto(buffer) if buffer else 0
        return bytes(buffer[:count])

    def _drop(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None

    def close(self) -> None:
        self._drop()
        super().close()
