"""Hand-crafted hostile parquet files: a footer or a page header that lies about sizes.

pyarrow never writes such files, so this module edits real ones. Parquet metadata is Thrift in the
compact protocol; the tiny generic codec below reads a struct into ``{field_id: (type, value)}``
and writes it back byte for byte, so one field can be changed and everything else kept.
"""

from __future__ import annotations

import struct
from pathlib import Path

# compact protocol type ids
BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        if value < 0x80:
            out.append(value)
            return bytes(out)
        out.append((value & 0x7F) | 0x80)
        value >>= 7


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _read_value(buf: bytes, pos: int, ftype: int):
    if ftype in (BOOL_TRUE, BOOL_FALSE):
        return ftype == BOOL_TRUE, pos
    if ftype == BYTE:
        return buf[pos], pos + 1
    if ftype in (I16, I32, I64):
        raw, pos = _read_varint(buf, pos)
        return _unzigzag(raw), pos
    if ftype == DOUBLE:
        return struct.unpack("<d", buf[pos : pos + 8])[0], pos + 8
    if ftype == BINARY:
        length, pos = _read_varint(buf, pos)
        return bytes(buf[pos : pos + length]), pos + length
    if ftype in (LIST, SET):
        header = buf[pos]
        pos += 1
        size, etype = header >> 4, header & 0x0F
        if size == 15:
            size, pos = _read_varint(buf, pos)
        items = []
        for _ in range(size):
            if etype in (BOOL_TRUE, BOOL_FALSE):  # list booleans are one byte each
                items.append(buf[pos] == 1)
                pos += 1
            else:
                item, pos = _read_value(buf, pos, etype)
                items.append(item)
        return (etype, items), pos
    if ftype == STRUCT:
        return read_struct(buf, pos)
    raise ValueError(f"unsupported thrift type {ftype}")


def read_struct(buf: bytes, pos: int = 0) -> tuple[dict, int]:
    fields: dict[int, tuple[int, object]] = {}
    last = 0
    while True:
        header = buf[pos]
        pos += 1
        if header == 0:
            return fields, pos
        delta, ftype = header >> 4, header & 0x0F
        if delta:
            fid = last + delta
        else:
            raw, pos = _read_varint(buf, pos)
            fid = _unzigzag(raw)
        value, pos = _read_value(buf, pos, ftype)
        fields[fid] = (ftype, value)
        last = fid


def _write_value(ftype: int, value) -> bytes:
    if ftype in (BOOL_TRUE, BOOL_FALSE):
        return b""
    if ftype == BYTE:
        return bytes([value])
    if ftype in (I16, I32, I64):
        return _write_varint(_zigzag(value) & (2**64 - 1))
    if ftype == DOUBLE:
        return struct.pack("<d", value)
    if ftype == BINARY:
        return _write_varint(len(value)) + value
    if ftype in (LIST, SET):
        etype, items = value
        head = (
            bytes([(len(items) << 4) | etype])
            if len(items) < 15
            else (bytes([0xF0 | etype]) + _write_varint(len(items)))
        )
        body = b"".join(
            bytes([1 if item else 2])
            if etype in (BOOL_TRUE, BOOL_FALSE)
            else _write_value(etype, item)
            for item in items
        )
        return head + body
    if ftype == STRUCT:
        return write_struct(value)
    raise ValueError(f"unsupported thrift type {ftype}")


def write_struct(fields: dict) -> bytes:
    out = bytearray()
    last = 0
    for fid in sorted(fields):
        ftype, value = fields[fid]
        if ftype in (BOOL_TRUE, BOOL_FALSE):
            ftype = BOOL_TRUE if value else BOOL_FALSE
        delta = fid - last
        if 0 < delta <= 15:
            out.append((delta << 4) | ftype)
        else:
            out.append(ftype)
            out += _write_varint(_zigzag(fid))
        out += _write_value(ftype, value)
        last = fid
    out.append(0)
    return bytes(out)


# --- parquet ------------------------------------------------------------------------------------
# FileMetaData: 3 num_rows, 4 row_groups. RowGroup: 1 columns, 2 total_byte_size, 3 num_rows.
# ColumnChunk: 3 meta_data. ColumnMetaData: 3 path_in_schema, 5 num_values,
# 6 total_uncompressed_size, 7 total_compressed_size, 9 data_page_offset, 11 dictionary_page_offset.
# PageHeader: 1 type, 2 uncompressed_page_size, 3 compressed_page_size.


def _split(data: bytes) -> tuple[bytes, dict]:
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    length = struct.unpack("<I", data[-8:-4])[0]
    footer_start = len(data) - 8 - length
    footer, _ = read_struct(data, footer_start)
    return data[:footer_start], footer


def _join(body: bytes, footer: dict) -> bytes:
    encoded = write_struct(footer)
    return body + encoded + struct.pack("<I", len(encoded)) + b"PAR1"


def footer_claims_huge_row_groups(src: Path, dst: Path, *, rows: int = 2**62) -> Path:
    """Every row group (and the file) claims ``rows`` rows and petabytes of column data."""
    body, footer = _split(Path(src).read_bytes())
    footer[3] = (I64, rows)
    for group in footer[4][1][1]:
        group[3] = (I64, rows)
        group[2] = (I64, 2**60)
        for chunk in group[1][1][1]:
            meta = chunk[3][1]
            meta[5] = (I64, rows)
            meta[6] = (I64, 2**60)
    Path(dst).write_bytes(_join(body, footer))
    return Path(dst)


def page_claims_huge_size(src: Path, dst: Path, *, column: str, size: int = 2**31 - 1) -> Path:
    """The first page of ``column`` (in the last row group) claims ``size`` uncompressed bytes.

    Only the chunk's page header grows, so the footer is rewritten with that chunk's compressed
    size and the offsets of every chunk stored after it shifted by the same amount."""
    data = Path(src).read_bytes()
    body, footer = _split(data)
    groups = footer[4][1][1]
    target = None
    for chunk in groups[-1][1][1][1]:
        meta = chunk[3][1]
        path = ".".join(p.decode() for p in meta[3][1][1])
        if path == column or path.startswith(column + "."):
            target = meta
    if target is None:
        raise KeyError(column)
    start = target[11][1] if 11 in target else target[9][1]
    header, end = read_struct(data, start)
    header[2] = (I32, size)
    new_header = write_struct(header)
    delta = len(new_header) - (end - start)
    new_body = body[:start] + new_header + body[end:]
    target[7] = (I64, target[7][1] + delta)
    for group in groups:
        for chunk in group[1][1][1]:
            meta = chunk[3][1]
            for key in (9, 10, 11):
                if key in meta and meta[key][1] > start:
                    meta[key] = (I64, meta[key][1] + delta)
            if 2 in chunk and chunk[2][1] > start:
                chunk[2] = (I64, chunk[2][1] + delta)
    Path(dst).write_bytes(_join(new_body, footer))
    return Path(dst)


def footer_claims_huge_column(src: Path, dst: Path, *, column: str, size: int = 2**45) -> Path:
    """Honest row counts, but ``column`` claims ``size`` uncompressed bytes in every row group."""
    body, footer = _split(Path(src).read_bytes())
    for group in footer[4][1][1]:
        for chunk in group[1][1][1]:
            meta = chunk[3][1]
            path = ".".join(p.decode() for p in meta[3][1][1])
            if path == column or path.startswith(column + "."):
                meta[6] = (I64, size)
    Path(dst).write_bytes(_join(body, footer))
    return Path(dst)
