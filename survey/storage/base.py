"""The storage interface: files under keys such as "photos/<name>", written whole or not at all.

Photos, evidence and exports reach their bytes only through a Storage; nothing else builds a file
path for them. A key is "<namespace>/<name>": the namespace one of NAMESPACES, the name letters,
digits, '.', '_' and '-' (not starting with '.'), so a key can never leave its namespace. An
implementation writes to a temporary object and publishes it under the key only once complete
(a reader sees the old bytes, the new bytes or nothing, never part of a file); partial writes left
by a crash are removed by discard_partial().
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from flask import Response

NAMESPACES = ("photos", "evidence", "exports", "doctemplates", "thumbs", "imports")
NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
CHUNK = 1 << 20


class InvalidKey(ValueError):
    """A key outside the allowed shape: a programming error, never user input taken as is."""


class StorageUnavailable(RuntimeError):
    """The store cannot be reached or refuses the request (a missing bucket, no write permission):
    answered as a 503 with MESSAGE (survey/errors.py); the detail is for the log."""

    MESSAGE = "文件存储暂时无法访问，请稍后重试。已选的照片和文件仍保存在本机，会自动重新上传。"


@dataclass(frozen=True)
class Entry:
    """One stored file, as list() reports it (modified: seconds since the epoch)."""

    key: str
    size: int
    modified: float


def valid_name(name: str) -> bool:
    return bool(NAME.fullmatch(name)) and ".." not in name


def check_key(key: str) -> tuple[str, str]:
    """(namespace, name) of a valid key; InvalidKey otherwise."""
    namespace, sep, name = key.partition("/") if isinstance(key, str) else ("", "", "")
    if not sep or namespace not in NAMESPACES or not valid_name(name):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return namespace, name


def key_for(namespace: str, name: str) -> str:
    key = f"{namespace}/{name}"
    check_key(key)
    return key


def check_prefix(prefix: str) -> str:
    """A prefix for list(): a namespace with its slash, optionally followed by the start of a name."""
    namespace, sep, rest = prefix.partition("/") if isinstance(prefix, str) else ("", "", "")
    if not sep or namespace not in NAMESPACES or (rest and not valid_name(rest)):
        raise InvalidKey(f"invalid storage prefix: {prefix!r}")
    return namespace


class Storage(ABC):
    """What callers may do with stored files. Missing keys: open() raises FileNotFoundError,
    delete() is a no-op, exists() is False, size() is None."""

    remote = False  # True for an object store shared by several hosts (backups skip its files)

    def describe(self) -> str:
        """Where the files are, for the operator (never a credential)."""
        return type(self).__name__

    @abstractmethod
    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """A binary file to write the whole content to; published under key when the block ends
        without an exception, discarded otherwise."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a binary stream (close it, or use it in a with block)."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove the file; True if there was one."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The size in bytes, or None if nothing is stored under key."""

    @abstractmethod
    def list(self, prefix: str) -> Iterator[Entry]:
        """Every complete file whose key starts with prefix ("photos/"), for sweeping and backups."""

    @abstractmethod
    def discard_partial(self, older_than_seconds: float, now: float | None = None) -> int:
        """Remove writes abandoned half way (a crashed worker) older than the given age; how many."""

    @abstractmethod
    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool,
             etag: str | None = None, max_age: int | None = None) -> Response:
        """A response serving the file (conditional requests and ranges answered); 404 if missing."""

    def check(self) -> str | None:
        """None when the storage can be used; else why not (for /healthz and the operator)."""
        return None

    def put(self, key: str, data: bytes | BinaryIO) -> int:
        """Store bytes or the rest of a binary stream under key, atomically; returns the size."""
        size = 0
        with self.writer(key) as out:
            if isinstance(data, (bytes, bytearray, memoryview)):
                size = out.write(data)
            else:
                for chunk in iter(lambda: data.read(CHUNK), b""):
                    size += out.write(chunk)
        return size

    def read(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        return self.size(key) is not None
