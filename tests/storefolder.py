"""A storage namespace looked at like the instance folder a test would otherwise read: under
TEST_STORAGE=s3 the fixtures that hand a test its upload folder hand it one of these instead, so
the same assertions (files listed, bytes read, a file removed) run against the bucket."""
from __future__ import annotations

import fnmatch
import io
from pathlib import Path

from survey.storage import get_storage


class StoreFolder:
    def __init__(self, app, namespace: str, local: Path) -> None:
        self.app, self.namespace, self.parent = app, namespace, local

    def _store(self):
        with self.app.app_context():
            return get_storage()

    def __truediv__(self, name: str) -> "StoreFile":
        return StoreFile(self, name)

    def exists(self) -> bool:
        return True

    def iterdir(self):
        return [StoreFile(self, e.key.partition("/")[2]) for e in self._store().list(f"{self.namespace}/")]

    def glob(self, pattern: str):
        return [f for f in self.iterdir() if fnmatch.fnmatch(f.name, pattern)]


class StoreFile(io.RawIOBase):
    """One stored file: the Path methods tests use, and a readable stream (PIL, openpyxl)."""

    def __init__(self, folder: StoreFolder, name: str) -> None:
        super().__init__()
        self.folder, self.name, self._data = folder, name, None

    @property
    def key(self) -> str:
        return f"{self.folder.namespace}/{self.name}"

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, StoreFile) and other.key == self.key

    def read_bytes(self) -> bytes:
        return self.folder._store().read(self.key)

    def exists(self) -> bool:
        return self.folder._store().exists(self.key)

    is_file = exists

    def unlink(self, missing_ok: bool = False) -> None:
        if not self.folder._store().delete(self.key) and not missing_ok:
            raise FileNotFoundError(self.key)

    # a readable, seekable stream over the bytes
    def _buffer(self) -> io.BytesIO:
        if self._data is None:
            self._data = io.BytesIO(self.read_bytes())
        return self._data

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, b):
        data = self._buffer().read(len(b))
        b[:len(data)] = data
        return len(data)

    def seek(self, offset, whence=0):
        return self._buffer().seek(offset, whence)

    def tell(self):
        return self._buffer().tell()


def upload_folder(app, namespace: str, local: Path):
    """The local folder, or under TEST_STORAGE=s3 the namespace in the bucket."""
    from tests.conftest import S3_SUITE
    return StoreFolder(app, namespace, local.parent) if S3_SUITE else local
