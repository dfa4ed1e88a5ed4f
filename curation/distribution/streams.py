"""Serving stored files without holding them in memory: single files (whole, or a byte range as
``hf_hub_download`` asks when it resumes) and a whole version as a zip written on the fly.

The zip is produced by ``zipfile`` writing into a sink that the response drains after every chunk,
so the web process holds at most one read buffer (``CHUNK``) whatever the size of the version: it
is never built in memory or on disk. Members are stored, not compressed (parquet and mp4 are
compressed already), with ZIP64 records so that versions over 4 GB open everywhere.
"""

import re
import zipfile
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

from curation.distribution.selectors import RepoFileEntry
from curation.models import Blob
from curation.services import storage

CHUNK = 1024 * 1024
RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for a single-range ``Range`` header, ``None`` to send it all
    (no header, or a form we do not serve, such as several ranges: a full answer is allowed)."""
    match = RANGE_RE.fullmatch((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(header)
    return start, end


def _read_range(blob: Blob, start: int, end: int) -> Iterator[bytes]:
    with storage.open_blob(blob) as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def file_response(
    entry: RepoFileEntry, *, range_header: str = "", head: bool = False, headers: dict | None = None
) -> HttpResponse:
    """One stored file as an inert download: a generic content type, ``attachment``, no sniffing,
    a sandbox should it be opened anyway; ``Range`` honoured (206/416); ``ETag`` = its sha256."""
    blob = Blob(sha256=entry.sha256, size=entry.size)
    common = {
        "ETag": f'"{entry.sha256}"',
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'attachment; filename="{_ascii_name(entry.path)}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-transform",
        **(headers or {}),
    }
    try:
        ranged = parse_range(range_header, entry.size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, content_type="application/octet-stream")
        response["Content-Range"] = f"bytes */{entry.size}"
        for key, value in common.items():
            response[key] = value
        return response
    start, end = ranged if ranged else (0, entry.size - 1)
    length = max(0, end - start + 1)
    status = 206 if ranged else 200
    if head:
        response = HttpResponse(status=status, content_type="application/octet-stream")
    else:
        body = _read_range(blob, start, end) if length else iter(())
        response = StreamingHttpResponse(
            body, status=status, content_type="application/octet-stream"
        )
    for key, value in common.items():
        response[key] = value
    response["Content-Length"] = str(length)
    if ranged:
        response["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
    return response


def _ascii_name(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._ ()+,=@-]", "_", name) or "download"


class _Sink:
    """A write-only, unseekable file for ``zipfile``: what it writes is collected and drained."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def zip_stream(entries: Iterable[RepoFileEntry], *, folder: str, date_time) -> Iterator[bytes]:
    """The bytes of a zip holding ``entries`` under ``folder/``, produced while being sent."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for entry in entries:
            info = zipfile.ZipInfo(f"{folder}/{entry.path}", date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = entry.size
            info.external_attr = 0o644 << 16
            with (
                zf.open(info, mode="w", force_zip64=entry.size >= zipfile.ZIP64_LIMIT) as out,
                storage.open_blob(Blob(sha256=entry.sha256, size=entry.size)) as handle,
            ):
                while chunk := handle.read(CHUNK):
                    out.write(chunk)
                    if data := sink.drain():
                        yield data
            if data := sink.drain():
                yield data
    if data := sink.drain():
        yield data  # the central directory, written on close
