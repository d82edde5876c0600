"""The archive: every upload's raw bytes, kept under their SHA-256 before anything is parsed,
so nothing a user uploads is lost and file names never become paths."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from core.formatting import plural
from core.store.engine import PROJECT_ROOT, store_path
from core.store.ingest.detect import UnreadableFileError
from core.store.ingest.report import MAX_UPLOAD_BYTES

ARCHIVE_ENV = "MARKETING_REVIEW_ARCHIVE"


def archive_folder(url: str, environ: Mapping[str, str] | None = None) -> Path:
    """Where raw uploads are kept: the folder ``MARKETING_REVIEW_ARCHIVE`` names, else
    ``uploads/`` next to a DuckDB store, else ``data/uploads/`` (a server database has no
    folder of its own: point the setting at disk that is backed up)."""
    environ = os.environ if environ is None else environ
    if environ.get(ARCHIVE_ENV):
        return Path(environ[ARCHIVE_ENV])
    path = store_path(url)
    return (path.parent if path is not None else PROJECT_ROOT / "data") / "uploads"


def archive_stream(
    stream: BinaryIO, folder: Path, limit: int = MAX_UPLOAD_BYTES
) -> tuple[str, Path, int]:
    """Copy an upload into the archive under its SHA-256; return (sha256, path, size).

    Refuses files larger than ``limit`` before keeping anything.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary_name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    temporary = Path(temporary_name)
    try:
        with open(handle, "wb") as output:
            for block in iter(lambda: stream.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise UnreadableFileError(
                        f"The file is larger than {_size(limit)}, the most the app "
                        "accepts: split the export by date range and upload the parts."
                    )
                digest.update(block)
                output.write(block)
        sha = digest.hexdigest()
        target = folder / sha
        if target.exists():
            temporary.unlink()
        else:
            temporary.replace(target)
        return sha, target, size
    finally:
        temporary.unlink(missing_ok=True)


def _size(size: int) -> str:
    """``200 MB``, ``1 KB``, ``512 bytes``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return plural(size, "byte")


def archive_file(path: Path, folder: Path, limit: int = MAX_UPLOAD_BYTES) -> tuple[str, Path, int]:
    """:func:`archive_stream` for a file on disk."""
    with path.open("rb") as stream:
        return archive_stream(stream, folder, limit)
