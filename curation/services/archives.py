"""Safe unpacking of uploaded .zip / .tar / .tar.gz archives into the blob store.

Nothing is ever extracted to disk by name. Pass 1 reads only the member list and refuses the
archive if any member is a link, a device, an absolute or ``..`` path, a name outside the LeRobot
layout, or if the entry count, total size or compression ratio exceed the limits in
``curation.conf``. Pass 2 streams each member into content-addressed storage, counting real bytes
(headers can lie). A refused archive writes nothing but blobs, which no submission then references.

Both passes run under a ``Budget`` (issue 19, H3): every byte a decompressor produces is counted,
and the work stops at the first limit reached — bytes produced (total size, and the whole
archive's compression ratio), entry count, or time. A compressed tar is read as a stream, so a
bomb that declares 16 GiB costs at most the budget, never the declared size. Neither pass may run
inside a database transaction (the pipeline records the result in a short one afterwards).
"""

import bz2
import contextlib
import gzip
import io
import lzma
import stat
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from curation import conf
from curation.services.storage import (
    UnsafePath,
    blob_from_stream,
    check_layout,
    safe_relative_path,
)


class ArchiveError(ValueError):
    """The archive is refused; the message says which member and why."""


# What a damaged archive raises from the standard library's readers and decompressors.
DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, lzma.LZMAError, zlib.error)


@dataclass
class Member:
    name: str  # the path inside the dataset (wrapper folder removed)
    raw_name: str
    size: int
    compressed: int | None


ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
# A small archive may always unpack to this much, whatever its ratio (tar headers and padding
# compress very well, so a tiny legitimate .tar.gz can have a high ratio).
RATIO_FLOOR_BYTES = 1024 * 1024


class Budget:
    """The most work one pass over an archive may cost: bytes produced and seconds."""

    def __init__(self, path: Path):
        self.name = path.name
        size = max(path.stat().st_size, 1)
        self.ratio = conf.archive_max_ratio()
        self.max_bytes = min(
            conf.archive_max_total_bytes(),
            max(int(self.ratio * size), RATIO_FLOOR_BYTES),
        )
        self.max_seconds = conf.archive_max_seconds(size)
        self.started = time.monotonic()
        self.produced = 0

    def charge(self, produced: int) -> None:
        self.produced += produced
        if self.produced > self.max_bytes:
            raise ArchiveError(
                f"{self.name}: unpacks to more than {self.max_bytes} bytes (the limit for an "
                f"archive of this size: total at most {conf.archive_max_total_bytes()} bytes and "
                f"a compression ratio of at most {self.ratio:g}); refused"
            )
        if time.monotonic() - self.started > self.max_seconds:
            raise ArchiveError(
                f"{self.name}: unpacking took longer than {self.max_seconds:.0f} s; refused "
                "(a damaged or hostile archive, or one far larger than its compressed size)"
            )


class _Metered(io.RawIOBase):
    """A readable stream that charges every byte it yields to a ``Budget``."""

    def __init__(self, stream, budget: Budget):
        self.stream = stream
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(min(len(buffer), 1024 * 1024))
        self.budget.charge(len(data))
        buffer[: len(data)] = data
        return len(data)


def _decompressed(path: Path):
    """The tar stream inside ``path``: gzip, bzip2 and xz are recognised by their magic bytes."""
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def _strip_wrapper(names: list[str]) -> str:
    """Archives usually wrap the dataset in one folder (``my_dataset/meta/info.json``)."""
    firsts = {n.split("/", 1)[0] for n in names}
    if len(firsts) == 1 and all("/" in n for n in names):
        prefix = next(iter(firsts))
        if prefix not in ("meta", "data", "videos", "images"):
            return prefix + "/"
    return ""


def _is_clutter(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return "__MACOSX" in parts or parts[-1] in (".DS_Store", "Thumbs.db")


def _zip_members(archive: zipfile.ZipFile) -> list[tuple[str, int, int | None]]:
    members = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        file_type = stat.S_IFMT(info.external_attr >> 16)
        if file_type and file_type != stat.S_IFREG:  # 0: written by a tool that sets no type
            mode = info.external_attr >> 16
            kind = "symbolic link" if stat.S_ISLNK(mode) else "special file"
            raise ArchiveError(f"{info.filename}: {kind}s are not allowed in an archive")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{info.filename}: encrypted members are not supported")
        members.append((info.filename, info.file_size, info.compress_size))
    return members


def _tar_members(archive: tarfile.TarFile, budget: Budget) -> list[tuple[str, int, int | None]]:
    members = []
    declared = 0
    max_entries = conf.archive_max_entries()
    for info in archive:
        # Refuse on the headers as they come: a bomb is stopped at its first lying header.
        declared += max(info.size, 0)
        if declared > budget.max_bytes:
            raise ArchiveError(
                f"{info.name}: the archive declares more than {budget.max_bytes} bytes (total at "
                f"most {conf.archive_max_total_bytes()} bytes, compression ratio at most "
                f"{budget.ratio:g}); refused"
            )
        if len(members) >= max_entries:
            raise ArchiveError(f"{budget.name}: more than the limit of {max_entries} entries")
        if info.isdir():
            continue
        if info.issym() or info.islnk():
            raise ArchiveError(f"{info.name}: links are not allowed in an archive")
        if not info.isfile():
            raise ArchiveError(
                f"{info.name}: device files, FIFOs and other special members are not allowed"
            )
        members.append((info.name, info.size, None))
    return members


@contextlib.contextmanager
def _opened(path: Path, budget: Budget):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            yield "zip", archive
        return
    with _decompressed(path) as stream:
        try:
            # "r|": one forward pass over the decompressed bytes, each one charged to the budget.
            metered = io.BufferedReader(_Metered(stream, budget), 1024 * 1024)
            archive = tarfile.open(fileobj=metered, mode="r|")  # noqa: SIM115 (closed below)
        except DAMAGED as exc:
            raise ArchiveError(
                f"{path.name}: not a readable .zip, .tar or .tar.gz archive ({exc})"
            ) from exc
        with archive:
            yield "tar", archive


def scan(path: Path) -> tuple[str, list[Member]]:
    """Pass 1: check every member against the rules and limits, write nothing."""
    budget = Budget(path)
    with _opened(path, budget) as (kind, archive):
        try:
            raw = _zip_members(archive) if kind == "zip" else _tar_members(archive, budget)
        except DAMAGED as exc:
            raise ArchiveError(f"{path.name}: the archive is damaged ({exc})") from exc
    # Operating-system clutter (Finder metadata) is skipped rather than refused.
    raw = [m for m in raw if not _is_clutter(m[0])]
    if not raw:
        raise ArchiveError(f"{path.name}: the archive contains no files")
    max_entries = conf.archive_max_entries()
    if len(raw) > max_entries:
        raise ArchiveError(f"{path.name}: {len(raw)} entries, more than the limit of {max_entries}")
    total = sum(size for _, size, _ in raw)
    max_total = conf.archive_max_total_bytes()
    if total > max_total:
        raise ArchiveError(
            f"{path.name}: unpacks to {total} bytes, more than the limit of {max_total}"
        )
    max_ratio = conf.archive_max_ratio()
    archive_size = max(path.stat().st_size, 1)
    # The whole archive's ratio, zip and tar alike (issue 19, M4): many small members, each under
    # the per-member check, must not add up to a bomb.
    if total > RATIO_FLOOR_BYTES and total / archive_size > max_ratio:
        raise ArchiveError(
            f"{path.name}: compression ratio {total / archive_size:.0f} exceeds the limit of {max_ratio:g}"
        )
    for name, size, compressed in raw:
        if compressed is not None and size / max(compressed, 1) > max_ratio and size > 1024 * 1024:
            raise ArchiveError(
                f"{name}: compression ratio {size / max(compressed, 1):.0f} exceeds the limit of {max_ratio:g}"
            )
    # Refuse dangerous names before looking at the layout, so the error names the real problem.
    for name, _, _ in raw:
        try:
            safe_relative_path(name)
        except UnsafePath as exc:
            raise ArchiveError(str(exc)) from exc
    prefix = _strip_wrapper([n.lstrip("./") for n, _, _ in raw])
    members = []
    seen = set()
    for name, size, compressed in raw:
        inner = name.lstrip("./")[len(prefix) :]
        try:
            clean = check_layout(inner)
        except UnsafePath as exc:
            raise ArchiveError(str(exc)) from exc
        if clean in seen:
            raise ArchiveError(f"{clean}: appears twice in the archive")
        seen.add(clean)
        members.append(Member(clean, name, size, compressed))
    return kind, members


def ingest(path: Path, on_member, progress=None, before_unpack=None) -> list[Member]:
    """Pass 2: stream each member to the blob store and call ``on_member(member, blob)``.
    ``before_unpack(members)``, when given, may refuse (raise) once the members are known."""
    _, members = scan(path)
    if before_unpack is not None:
        before_unpack(members)
    by_raw = {m.raw_name: m for m in members}
    total = len(members)
    done = 0
    budget = Budget(path)
    with _opened(path, budget) as (kind, archive):
        try:
            if kind == "zip":
                for info in archive.infolist():
                    member = by_raw.get(info.filename)
                    if member is None:
                        continue
                    with archive.open(info) as stream:
                        on_member(member, _blob(_Metered(stream, budget), member))
                    done += 1
                    if progress:
                        progress("unpack", done, total)
            else:
                for info in archive:
                    member = by_raw.get(info.name)
                    if member is None or not info.isfile():
                        continue
                    stream = archive.extractfile(info)
                    on_member(member, _blob(stream, member))
                    done += 1
                    if progress:
                        progress("unpack", done, total)
        except DAMAGED as exc:
            raise ArchiveError(f"{path.name}: the archive is damaged ({exc})") from exc
    return members


def _blob(stream, member: Member):
    try:
        return blob_from_stream(stream, max_bytes=member.size)
    except UnsafePath as exc:
        raise ArchiveError(f"{member.raw_name}: {exc}") from exc
