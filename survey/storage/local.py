"""Files on the local disk, in the instance folder's layout of earlier releases: photos in
uploads/, evidence in evidence/, export files in exports/, each flat under its random name;
thumbnails of photos and evidence (derived, made again when missing) in thumbs/."""
from __future__ import annotations

import os
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import Response, abort, send_file

from survey.storage.base import Entry, Storage, check_key, check_prefix, valid_name

# namespace -> folder under the root (photos kept the folder name they have always had)
FOLDERS = {"photos": "uploads", "evidence": "evidence", "exports": "exports", "doctemplates": "doctemplates",
           "thumbs": "thumbs", "imports": "imports"}
TEMP_PREFIX = ".tmp-"


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def _folder(self, namespace: str) -> Path:
        return self.root / FOLDERS[namespace]

    def _path(self, key: str) -> Path:
        namespace, name = check_key(key)
        return self._folder(namespace) / name

    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            _unlink(Path(tmp))
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> bool:
        return _unlink(self._path(key))

    def size(self, key: str) -> int | None:
        try:
            found = self._path(key).lstat()  # a link is not a stored file
        except (FileNotFoundError, NotADirectoryError):
            return None
        return found.st_size if stat.S_ISREG(found.st_mode) else None

    def list(self, prefix: str) -> Iterator[Entry]:
        namespace = check_prefix(prefix)
        start = prefix.partition("/")[2]
        for entry in self._entries(namespace):
            if entry.name.startswith(start) and valid_name(entry.name):
                try:
                    found = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # deleted meanwhile
                yield Entry(f"{namespace}/{entry.name}", found.st_size, found.st_mtime)

    def discard_partial(self, older_than_seconds: float, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - older_than_seconds
        removed = 0
        for namespace in FOLDERS:
            for entry in self._entries(namespace, temporary=True):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                        removed += _unlink(Path(entry.path))
                except FileNotFoundError:
                    continue
        return removed

    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool,
             etag: str | None = None, max_age: int | None = None) -> Response:
        path = self._path(key)
        if self.size(key) is None:
            abort(404)
        try:
            return send_file(path, mimetype=mimetype, as_attachment=as_attachment, conditional=True,
                             download_name=download_name, etag=etag if etag is not None else True,
                             max_age=max_age)
        except FileNotFoundError:  # deleted between the check and the open
            abort(404)

    def describe(self) -> str:
        return f"file://{self.root}"

    def check(self) -> str | None:
        folder = self.root if self.root.exists() else self.root.parent
        return None if os.access(folder, os.W_OK | os.X_OK) else f"文件目录 {folder} 不可写"

    def _entries(self, namespace: str, temporary: bool = False) -> list[os.DirEntry]:
        """Plain files of a namespace's folder (no folders, no links); only temporary ones if asked."""
        try:
            with os.scandir(self._folder(namespace)) as entries:
                return [e for e in entries if e.is_file(follow_symlinks=False)
                        and e.name.startswith(TEMP_PREFIX) == temporary]
        except FileNotFoundError:
            return []


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
