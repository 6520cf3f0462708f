"""Where photos, evidence and export files are kept: one Storage chosen by STORAGE_URL.

  (empty)              the instance folder (the default; the layout of earlier releases)
  file:///srv/survey   a folder of its own, in the same layout
  s3://bucket/prefix?endpoint_url=http://minio:9000&region=...
                       an S3-compatible bucket, shared by several app hosts (see s3.py)

Callers only ever hold keys (see base.py) and call get_storage(); a backend for another scheme is
one more Storage subclass and one more branch in from_url().
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

from survey.storage.base import NAMESPACES, Entry, InvalidKey, Storage, StorageUnavailable, check_key, key_for
from survey.storage.local import LocalStorage

__all__ = ["NAMESPACES", "Entry", "InvalidKey", "Storage", "StorageUnavailable", "LocalStorage", "check_key", "key_for",
           "from_url", "get_storage", "init_storage", "sweep"]


def from_url(url: str, instance_path: str) -> Storage:
    """The storage a STORAGE_URL names; ValueError (for the operator) for one this build cannot use."""
    url = (url or "").strip()
    if not url:
        return LocalStorage(instance_path)
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path.startswith("/"):
        return LocalStorage(unquote(parts.path))
    if parts.scheme == "s3":
        from survey.storage.s3 import S3Storage  # boto3 is loaded only where it is used
        return S3Storage.from_url(url)
    raise ValueError(f"STORAGE_URL 无法识别：{url}（可留空，或写 file:///绝对路径、s3://存储桶/前缀）")


def init_storage(app: Flask) -> None:
    """Fail at start-up, not on the first upload, when STORAGE_URL is wrong."""
    from_url(app.config.get("STORAGE_URL", ""), app.instance_path)


def get_storage() -> Storage:
    """The current app's storage. Built per (STORAGE_URL, instance folder), so a test that moves
    the instance folder gets a storage there."""
    app = current_app._get_current_object()
    spec = (app.config.get("STORAGE_URL", ""), app.instance_path)
    cached = app.extensions.get("storage")
    if cached is None or cached[0] != spec:
        cached = (spec, from_url(*spec))
        app.extensions["storage"] = cached
    return cached[1]


def sweep(store: Storage, namespace: str, known_names: set[str], older_than_seconds: float,
          now: float) -> int:
    """Delete the files of a namespace no row names, once older than the given age: a younger file
    may belong to an upload whose row is not committed yet. Returns how many went."""
    cutoff = now - older_than_seconds
    removed = 0
    for entry in list(store.list(f"{namespace}/")):
        name = entry.key.partition("/")[2]
        if name not in known_names and entry.modified <= cutoff:
            removed += store.delete(entry.key)
    return removed
