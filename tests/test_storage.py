"""The storage contract (survey/storage), run against every implementation in STORES: the local
disk and an S3 bucket on moto's S3 server (a real HTTP peer on 127.0.0.1, tests/s3peer.py). Then
what only the local disk promises (the instance folder's layout, STORAGE_URL choosing the root)
and what only S3 does (presigned redirects, foreign objects, a missing bucket)."""
from __future__ import annotations

import io
import os
import time

import pytest
from werkzeug.exceptions import NotFound

from survey import create_app
from survey.config import TestConfig
from survey.storage import Entry, InvalidKey, LocalStorage, from_url, get_storage
from tests import s3peer
from tests.conftest import database_url, local_disk_only

STORES = {
    "local": lambda tmp_path: LocalStorage(tmp_path / "store"),
    "s3": lambda tmp_path: from_url(s3peer.storage_url(s3peer.new_bucket()), str(tmp_path)),
}

BAD_KEYS = ["", "photos", "photos/", "/photos/a.jpg", "../photos/a.jpg", "photos/../evidence/a.pdf",
            "photos/..", "photos/.tmp-x", "photos/.hidden", "photos//a.jpg", "photos/a/b.jpg",
            "photos\\a.jpg", "photos/a b.jpg", "photos/名.jpg", "photos/a.jpg\x00", "photos/a.jpg\n",
            "uploads/a.jpg", "etc/passwd", "photos/" + "a" * 129, None]
BAD_PREFIXES = ["", "/", "../", "photos", "photos/../", "photos/a/", "uploads/", "/etc/"]


@pytest.fixture(params=list(STORES))
def store(request, tmp_path):
    return STORES[request.param](tmp_path)


class Failing(io.RawIOBase):
    """A stream that gives some bytes, then fails: a client that drops the connection."""

    def __init__(self, good: bytes):
        self.good = good

    def readable(self):
        return True

    def read(self, n=-1):
        if self.good:
            chunk, self.good = self.good, b""
            return chunk
        raise ConnectionResetError("client went away")


# --- put, open, delete, list ------------------------------------------------------------------

def test_put_then_open_gives_the_same_bytes(store):
    data = os.urandom(3000)
    assert store.put("photos/a.jpg", data) == len(data)
    with store.open("photos/a.jpg") as fh:
        assert fh.read() == data
    assert store.read("photos/a.jpg") == data
    assert store.size("photos/a.jpg") == len(data) and store.exists("photos/a.jpg")


def test_put_takes_a_stream_and_overwrites_whole(store):
    store.put("evidence/r.pdf", b"old content")
    big = os.urandom(3 * (1 << 20) + 17)  # more than one chunk
    assert store.put("evidence/r.pdf", io.BytesIO(big)) == len(big)
    assert store.read("evidence/r.pdf") == big


def test_delete_removes_and_a_missing_key_is_no_error(store):
    store.put("exports/x.xlsx", b"x")
    assert store.delete("exports/x.xlsx") is True
    assert store.delete("exports/x.xlsx") is False
    assert not store.exists("exports/x.xlsx") and store.size("exports/x.xlsx") is None
    with pytest.raises(FileNotFoundError):
        store.open("exports/x.xlsx")


def test_list_gives_each_key_of_a_prefix_with_size_and_time(store):
    before = time.time() - 5
    store.put("photos/a.jpg", b"aa")
    store.put("photos/b.png", b"bbb")
    store.put("evidence/a.pdf", b"c")
    found = sorted(store.list("photos/"), key=lambda e: e.key)
    assert [(e.key, e.size) for e in found] == [("photos/a.jpg", 2), ("photos/b.png", 3)]
    assert all(isinstance(e, Entry) and before <= e.modified <= time.time() + 5 for e in found)
    assert [e.key for e in store.list("photos/b")] == ["photos/b.png"]
    assert [e.key for e in store.list("evidence/")] == ["evidence/a.pdf"]
    assert list(store.list("exports/")) == []


# --- atomicity ----------------------------------------------------------------------------------

def test_a_write_in_progress_is_not_visible(store):
    with store.writer("photos/w.jpg") as out:
        out.write(b"half")
        assert not store.exists("photos/w.jpg")
        assert list(store.list("photos/")) == []
        out.write(b" and the rest")
    assert store.read("photos/w.jpg") == b"half and the rest"


def test_a_failed_write_leaves_nothing_and_keeps_the_old_bytes(store):
    with pytest.raises(ConnectionResetError):
        store.put("photos/new.jpg", Failing(b"first part"))
    assert not store.exists("photos/new.jpg") and list(store.list("photos/")) == []
    store.put("photos/old.jpg", b"the old photo")
    with pytest.raises(RuntimeError):
        with store.writer("photos/old.jpg") as out:
            out.write(b"the new")
            raise RuntimeError("worker killed")
    assert store.read("photos/old.jpg") == b"the old photo"
    assert [e.key for e in store.list("photos/")] == ["photos/old.jpg"]
    assert store.discard_partial(0, now=time.time() + 1) == 0  # nothing was left behind


def test_a_write_abandoned_by_a_crash_is_discarded_once_old(store):
    crashed = store.writer("evidence/c.pdf")
    crashed.__enter__().write(b"cut off")  # never finished: as when the process dies
    assert not store.exists("evidence/c.pdf")
    if isinstance(store, LocalStorage):  # moto reports every upload as initiated in 2010 (S3 itself does not)
        assert store.discard_partial(3600) == 0  # too young: it may still be in progress
    assert store.discard_partial(3600, now=time.time() + 7200) == 1
    assert not store.exists("evidence/c.pdf") and list(store.list("evidence/")) == []
    del crashed


# --- keys ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_outside_the_shape_is_refused_everywhere(store, key):
    for call in (lambda: store.put(key, b"x"), lambda: store.open(key), lambda: store.delete(key),
                 lambda: store.size(key), lambda: store.writer(key).__enter__()):
        with pytest.raises(InvalidKey):
            call()


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_a_prefix_outside_the_shape_is_refused(store, prefix):
    with pytest.raises(InvalidKey):
        list(store.list(prefix))


# --- serving ---------------------------------------------------------------------------------

def test_send_serves_the_file_and_answers_conditional_requests(app, store):
    data = os.urandom(500)
    store.put("evidence/s.pdf", data)
    with app.test_request_context():
        resp = store.send("evidence/s.pdf", mimetype="application/pdf", download_name="整改报告.pdf",
                          as_attachment=True, etag="abc", max_age=60)
        resp.direct_passthrough = False
        assert resp.status_code == 200 and resp.get_data() == data and resp.mimetype == "application/pdf"
        assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["ETag"] == '"abc"'
        resp.close()
    with app.test_request_context(headers={"If-None-Match": '"abc"'}):
        again = store.send("evidence/s.pdf", mimetype="application/pdf", download_name="x.pdf",
                           as_attachment=True, etag="abc", max_age=60)
        assert again.status_code == 304
        again.close()


def test_send_of_a_missing_key_is_404(app, store):
    with app.test_request_context(), pytest.raises(NotFound):
        store.send("photos/gone.jpg", mimetype="image/jpeg", download_name="x.jpg", as_attachment=False)


def test_send_answers_a_range_request(app, store):
    data = os.urandom(100_000)
    store.put("photos/r.jpg", data)
    with app.test_request_context(headers={"Range": "bytes=1000-1999"}):
        resp = store.send("photos/r.jpg", mimetype="image/jpeg", download_name="r.jpg", as_attachment=False)
        resp.direct_passthrough = False
        assert resp.status_code == 206 and resp.get_data() == data[1000:2000]
        assert resp.headers["Content-Range"] == "bytes 1000-1999/100000" and resp.content_length == 1000
        resp.close()
    with app.test_request_context(headers={"Range": "bytes=200000-"}):
        with pytest.raises(Exception) as refused:
            store.send("photos/r.jpg", mimetype="image/jpeg", download_name="r.jpg", as_attachment=False)
        assert getattr(refused.value, "code", None) == 416
    with app.test_request_context():
        whole = store.send("photos/r.jpg", mimetype="image/jpeg", download_name="r.jpg", as_attachment=False)
        whole.direct_passthrough = False
        assert whole.status_code == 200 and whole.content_length == len(data) and whole.get_data() == data
        whole.close()


def test_a_file_of_no_bytes_is_stored_and_read(store):
    assert store.put("exports/empty.xlsx", b"") == 0
    assert store.read("exports/empty.xlsx") == b"" and store.size("exports/empty.xlsx") == 0


# --- the local disk ------------------------------------------------------------------------------

def test_local_keys_keep_the_instance_folders_layout(tmp_path):
    store = LocalStorage(tmp_path)
    for key in ("photos/p.jpg", "evidence/e.pdf", "exports/x.xlsx"):
        store.put(key, key.encode())
    assert (tmp_path / "uploads" / "p.jpg").read_bytes() == b"photos/p.jpg"
    assert (tmp_path / "evidence" / "e.pdf").read_bytes() == b"evidence/e.pdf"
    assert (tmp_path / "exports" / "x.xlsx").read_bytes() == b"exports/x.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence", "exports", "uploads"]


def test_local_list_skips_folders_links_and_foreign_names(tmp_path):
    store = LocalStorage(tmp_path)
    store.put("photos/a.jpg", b"a")
    (tmp_path / "uploads" / "sub").mkdir()
    (tmp_path / "uploads" / "外来 文件.jpg").write_bytes(b"?")
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"secret")
    (tmp_path / "uploads" / "link.jpg").symlink_to(outside)
    assert [e.key for e in store.list("photos/")] == ["photos/a.jpg"]
    assert store.size("photos/link.jpg") is None  # a link is never served as a stored file


def test_storage_url_chooses_the_root(app, tmp_path, monkeypatch):
    local_disk_only()
    assert from_url("", str(tmp_path)).root == tmp_path
    assert from_url(f"file://{tmp_path}/other", "/unused").root == tmp_path / "other"
    for bad in ("s3://", "s3:///prefix", "s3://b?serve=sometimes", "s3://b?addressing=odd",
                "s3://b?presign_seconds=0", "s3://b?secret_key=x", "s3://AKIA:secret@b/p", "file://host/x", "file:relative", "ftp:///x"):
        with pytest.raises(ValueError, match="STORAGE_URL"):
            from_url(bad, str(tmp_path))
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    with app.app_context():
        assert get_storage().root == tmp_path / "instance"
        monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path}/shared")
        get_storage().put("photos/a.jpg", b"a")
    assert (tmp_path / "shared" / "uploads" / "a.jpg").read_bytes() == b"a"


def test_a_wrong_storage_url_stops_the_app_at_start(tmp_path):
    config = TestConfig(database_url())
    config.INSTANCE_PATH = str(tmp_path / "instance")
    config.STORAGE_URL = "s3://bucket?serve=sometimes"
    with pytest.raises(ValueError, match="STORAGE_URL"):
        create_app(config)


# --- S3 ---------------------------------------------------------------------------------------------

def s3_store(bucket=None, **options):
    return from_url(s3peer.storage_url(bucket or s3peer.new_bucket(), **options), "/unused")


def test_s3_keys_live_under_the_prefix_and_foreign_objects_are_skipped():
    bucket = s3peer.new_bucket()
    store, peer = s3_store(bucket), s3peer.client()
    store.put("photos/a.jpg", b"a")
    for foreign in ("survey/photos/sub/x.jpg", "survey/photos/名.jpg", "other/photos/b.jpg", "photos/c.jpg"):
        peer.put_object(Bucket=bucket, Key=foreign, Body=b"?")
    names = sorted(o["Key"] for o in peer.list_objects_v2(Bucket=bucket)["Contents"])
    assert "survey/photos/a.jpg" in names
    assert [e.key for e in store.list("photos/")] == ["photos/a.jpg"]
    assert s3_store(bucket, prefix="").read("photos/c.jpg") == b"?"  # no prefix: keys at the top


def test_s3_writes_in_parts_and_holds_one_part_in_memory():
    store = s3_store()
    store.part_size = 5 * 1024 * 1024  # S3's smallest part
    data = os.urandom(store.part_size * 2 + 123)
    with store.writer("exports/big.xlsx") as out:
        for start in range(0, len(data), 1 << 20):
            out.write(data[start:start + (1 << 20)])
            assert len(out.buffer) < store.part_size  # a full part goes out at once
        assert len(out.parts) == 2 and not store.exists("exports/big.xlsx")
    assert store.read("exports/big.xlsx") == data


def test_s3_presign_mode_redirects_to_a_short_lived_link(app):
    import urllib.request
    store = s3_store(serve="presign", presign_seconds="120")
    store.put("evidence/p.pdf", b"%PDF-1.4 report")
    with app.test_request_context():
        resp = store.send("evidence/p.pdf", mimetype="application/pdf", download_name="整改报告.pdf",
                          as_attachment=True)
    assert resp.status_code == 302 and resp.headers["Cache-Control"] == "no-store"
    url = resp.headers["Location"]
    assert url.startswith(s3peer.endpoint()) and "Expires=" in url or "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url) as got:
        assert got.read() == b"%PDF-1.4 report" and got.headers["Content-Type"] == "application/pdf"
        assert "attachment" in got.headers["Content-Disposition"]
    with app.test_request_context(), pytest.raises(NotFound):
        store.send("evidence/none.pdf", mimetype="application/pdf", download_name="x.pdf", as_attachment=True)


def test_s3_a_missing_bucket_is_reported_not_crashed_on():
    store = s3_store(bucket="no-such-bucket-here")
    assert "no-such-bucket-here" in store.check()
    with pytest.raises(Exception):
        store.put("photos/a.jpg", b"a")
    assert s3_store().check() is None
    unreachable = from_url("s3://b?endpoint_url=http://127.0.0.1:9", "/unused")
    assert "无法连接" in unreachable.check()
