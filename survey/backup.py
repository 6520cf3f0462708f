"""Backup and restore of the database and the uploaded files, consistent while the app runs.

A backup directory holds database.sqlite3 (SQLite's online backup API: one consistent snapshot
while other workers keep writing) or database.dump (pg_dump -Fc, taken in a snapshot exported by a
REPEATABLE READ transaction that also counts the rows), files/<folder>/... for photos and
evidence, and manifest.json: the row count of every table and the audit chain's head in that same
snapshot, and the SHA-256 and size of the database file and of every uploaded file. The database
is copied first, the files after: files are written before the row that names them is committed
and never change, so every row of the snapshot finds its file unless it was deleted meanwhile
(listed under "missing"). restore() checks every hash before it touches anything.

With the files in an object store (STORAGE_URL=s3://...) the backup holds the database only, unless
asked for the files too (`flask backup --with-files`, copied through the storage): the bucket is
backed up by the store itself (versioning, replication, its own snapshots), and its address is
written in the manifest ("files_in"). restore() brings back whatever files the backup holds.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import URL, make_url

from survey.clock import utcnow
from survey.extensions import db
from survey.models import Evidence, Photo
from survey.storage import InvalidKey, get_storage, key_for

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE, PG_FILE = "database.sqlite3", "database.dump"
FILE_TABLES = {"uploads": Photo, "evidence": Evidence}  # folder -> model whose stored_name points there
# folder in a backup's files/ -> storage namespace (the folder names of the instance folder's layout)
FOLDERS = {"uploads": "photos", "evidence": "evidence", "doctemplates": "doctemplates"}  # + notice templates


class BackupError(Exception):
    """Refused or failed; the message is for the operator (Chinese)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _engine_name() -> str:
    return "sqlite" if _url().get_backend_name() == "sqlite" else "postgresql"


def table_names() -> list[str]:
    return sorted(inspect(db.engine).get_table_names())


def _execute(conn, sql: str):
    """conn is a sqlite3 connection (a backup file) or a SQLAlchemy connection or session."""
    return conn.execute(sql) if isinstance(conn, sqlite3.Connection) else conn.execute(text(sql))


def count_rows(conn, tables: list[str]) -> dict[str, int]:
    return {name: _execute(conn, f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}


def _audit_head(conn) -> dict:
    row = _execute(conn, "SELECT count(*), (SELECT row_hash FROM audit_logs ORDER BY id DESC LIMIT 1) "
                         "FROM audit_logs").fetchone()
    return {"rows": row[0], "head": row[1] or ""}


# --- SQLite ---------------------------------------------------------------------------------------

def _sqlite_path() -> Path:
    path = _url().database
    if not path or path == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(path)


def _backup_sqlite(target: Path) -> dict:
    dest_path = target / SQLITE_FILE
    src = sqlite3.connect(_sqlite_path(), timeout=30)
    dest = sqlite3.connect(dest_path)
    try:
        src.backup(dest)  # pages=-1: the whole database in one step, one snapshot
        tables = [r[0] for r in dest.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts, head = count_rows(dest, tables), _audit_head(dest)
    finally:
        dest.close()
        src.close()
    return {"file": SQLITE_FILE, "tables": counts, "audit": head}


def _restore_sqlite(source: Path) -> None:
    db.engine.dispose()
    path = _sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dest = sqlite3.connect(path, timeout=30)
    try:
        src.backup(dest)  # writes through SQLite (WAL included), never a raw file copy
    finally:
        dest.close()
        src.close()


# --- PostgreSQL -----------------------------------------------------------------------------------

def _pg_env() -> tuple[str, dict]:
    """A libpq connection string without the password, which goes in the environment instead
    (a password on the command line is visible to every user of the machine)."""
    url = _url()
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore of the server's major version when installed side by side (Debian keeps
    them in /usr/lib/postgresql/<major>/bin), else the one on PATH; PG_BIN overrides."""
    major = db.session.execute(text("SHOW server_version_num")).scalar_one()[:-4]
    db.session.rollback()
    for folder in (os.environ.get("PG_BIN", ""), f"/usr/lib/postgresql/{major}/bin"):
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"未找到 {name}：请安装与数据库服务器版本（{major}）一致的 PostgreSQL 客户端")
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)", version)
    if match and int(match.group(1)) < int(major):
        raise BackupError(f"{name} 版本（{version.strip()}）低于数据库服务器（{major}），请设置 PG_BIN")
    return found


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败：{done.stderr.strip()[-500:]}")


def _backup_postgres(target: Path) -> dict:
    conninfo, env = _pg_env()
    tool = pg_tool("pg_dump")
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = sorted(inspect(conn).get_table_names())
            counts, head = count_rows(conn, tables), _audit_head(conn)
            # The dump sees exactly what was counted: the snapshot lives while this transaction does.
            _run([tool, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "-f", str(target / PG_FILE), "-d", conninfo], env)
    return {"file": PG_FILE, "tables": counts, "audit": head}


def _restore_postgres(source: Path) -> None:
    conninfo, env = _pg_env()
    tool = pg_tool("pg_restore")
    db.engine.dispose()
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "-d", conninfo, str(source)], env)
    db.engine.dispose()


# --- files ----------------------------------------------------------------------------------------

def _copy_files(target: Path) -> dict[str, dict]:
    store, files = get_storage(), {}
    for folder, namespace in FOLDERS.items():
        for entry in sorted(store.list(f"{namespace}/"), key=lambda e: e.key):
            rel = f"{folder}/{entry.key.partition('/')[2]}"
            dest = target / "files" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with store.open(entry.key) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
            except FileNotFoundError:
                dest.unlink(missing_ok=True)
                continue  # deleted (with its row) while we copied
            files[rel] = {"sha256": sha256_of(dest), "size": dest.stat().st_size}
    return files


def _restore_files(source: Path, manifest: dict) -> None:
    store = get_storage()
    for rel in manifest["files"]:
        folder, _, name = rel.partition("/")
        try:
            key = key_for(FOLDERS[folder], name)
        except (KeyError, InvalidKey):
            continue  # only the known folders and names, never a path outside them
        with open(source / "files" / rel, "rb") as fh:
            store.put(key, fh)


def _missing(files: dict, target: Path, engine: str) -> list[str]:
    """Files that rows of the snapshot name but that were gone when the files were copied."""
    if engine != "sqlite":
        names = {f"{folder}/{n}" for folder, model in FILE_TABLES.items()
                 for n in db.session.scalars(select(model.stored_name))}
        db.session.rollback()
    else:
        conn = sqlite3.connect(target / SQLITE_FILE)
        names = {f"{folder}/{r[0]}" for folder, model in FILE_TABLES.items()
                 for r in conn.execute(f"SELECT stored_name FROM {model.__tablename__}")}
        conn.close()
    return sorted(n for n in names if n not in files)


def backup(target: Path, with_files: bool | None = None) -> dict:
    """Write a backup into target (new or empty) and return its manifest. with_files: copy the
    uploaded files (default: yes on the local disk, no for an object store)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"目录 {target} 不是空的：请指定一个新的备份目录")
    target.mkdir(parents=True, exist_ok=True)
    engine = _engine_name()
    started = utcnow()
    database = _backup_sqlite(target) if engine == "sqlite" else _backup_postgres(target)
    database["sha256"] = sha256_of(target / database["file"])
    store = get_storage()
    if with_files is None:
        with_files = not store.remote
    files = _copy_files(target) if with_files else {}
    manifest = {"format": FORMAT, "engine": engine, "started_at": started.isoformat(),
                "finished_at": utcnow().isoformat(), "database": database, "files": files,
                "missing": _missing(files, target, engine) if with_files else [],
                "files_in": "" if with_files else store.describe()}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是本系统的备份目录")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("备份格式版本不符")
    return manifest


def check_backup(source: Path, manifest: dict) -> None:
    """Every byte as it was written: the database file and each uploaded file."""
    bad = [manifest["database"]["file"]] if sha256_of(source / manifest["database"]["file"]) != \
        manifest["database"]["sha256"] else []
    for rel, meta in manifest["files"].items():
        path = source / "files" / rel
        if not path.is_file() or sha256_of(path) != meta["sha256"]:
            bad.append(rel)
    if bad:
        raise BackupError("备份已损坏，以下文件缺失或校验值不符：" + "、".join(bad[:20]))


def database_is_empty() -> bool:
    tables = [t for t in table_names() if t != "alembic_version"]
    counts = count_rows(db.session, tables) if tables else {}
    db.session.rollback()
    return not any(counts.values())


def restore(source: Path, force: bool = False) -> dict:
    """Bring a backup back into this app's database and instance folder; return the row counts
    found afterwards. Refuses a non-empty database unless force."""
    source = Path(source)
    manifest = read_manifest(source)
    if manifest["engine"] != _engine_name():
        raise BackupError(f"备份来自 {manifest['engine']}，当前数据库是 {_engine_name()}，不能直接恢复")
    check_backup(source, manifest)
    if not force and not database_is_empty():
        raise BackupError("当前数据库中已有数据：确认要覆盖请加 --force")
    db.session.remove()
    db_file = source / manifest["database"]["file"]
    (_restore_sqlite if manifest["engine"] == "sqlite" else _restore_postgres)(db_file)
    _restore_files(source, manifest)
    with db.engine.connect() as conn:
        return count_rows(conn, sorted(manifest["database"]["tables"]))
