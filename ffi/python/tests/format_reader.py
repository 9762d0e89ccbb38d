"""A reader of rtshm segments written from FORMAT.md alone: `mmap`, `struct` and numpy, no
rtshm package. The FORMAT.md test (`test_format_reader.py`) runs it against Rust writers."""

import mmap
import os
import struct

import numpy as np

PAGE = 65536
DATA = 2 * PAGE
MAGIC = b"RTSHM\0\0\0"
LINE0 = struct.Struct("<8sIIQIIQIIQQII")
PRIMS = {1: "<u1", 2: "<u2", 3: "<u4", 4: "<u8", 5: "<i1", 6: "<i2", 7: "<i4", 8: "<i8", 9: "<f4", 10: "<f8"}
SEQLOCK, RING, TIMESERIES = 1, 2, 3
ATTEMPTS = 64


def round_up(n, a):
    return (n + a - 1) & ~(a - 1)


class Busy(Exception):
    """Every attempt overlapped a store."""


class Lapped(Exception):
    """The value was overwritten before (or while) it was read."""


def decode(buf, at=0, hashed=None):
    """Decodes the node at `at`: (numpy dtype, next offset). Appends the canonical bytes of the
    fingerprint (the encoding without struct names and body lengths) to `hashed`."""
    tag = buf[at]
    if tag in PRIMS:
        hashed += buf[at:at + 1]
        return np.dtype(PRIMS[tag]), at + 1
    if tag == 0x10:
        (n,) = struct.unpack_from("<I", buf, at + 1)
        hashed += buf[at:at + 5]
        element, end = decode(buf, at + 5, hashed)
        return np.dtype((element, (n,))), end
    if tag == 0x11:
        name_len = buf[at + 1]
        at2 = at + 2 + name_len
        size, align, count, body = struct.unpack_from("<IIHI", buf, at2)
        hashed += bytes([tag]) + buf[at2:at2 + 10]
        at2 += 14
        body_start = at2
        names, formats, offsets = [], [], []
        for _ in range(count):
            n = buf[at2]
            names.append(buf[at2 + 1:at2 + 1 + n].decode("ascii"))
            (offset,) = struct.unpack_from("<I", buf, at2 + 1 + n)
            hashed += buf[at2:at2 + 5 + n]
            offsets.append(offset)
            fdtype, at2 = decode(buf, at2 + 5 + n, hashed)
            formats.append(fdtype)
        assert at2 - body_start == body
        dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})
        return dtype, at2
    raise ValueError(f"unknown tag {tag}")


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class Segment:
    def __init__(self, name):
        fd = os.open(f"/dev/shm/{name}", os.O_RDONLY | os.O_NOFOLLOW)
        try:
            size = os.fstat(fd).st_size
            self.m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        (magic, self.version, self.kind, self.fingerprint, self.payload_size, self.payload_align,
         self.capacity, self.clock, _flags, total_len, _created, self.value_size, _) = LINE0.unpack_from(self.m, 0)
        assert magic == MAGIC and self.version == 4 and total_len == size
        encoding, length = struct.unpack_from("<II", self.m, 256)
        assert encoding == 1
        schema = bytes(self.m[264:264 + length])
        canonical = bytearray(b"rtshm-schema-v1")
        self.dtype, end = decode(schema, 0, canonical)
        assert end == length and self.dtype.itemsize == self.value_size
        self.schema_hash = fnv1a(canonical)
        self.cell_align = max(8, self.payload_align)

    def u64(self, offset):
        return struct.unpack_from("<Q", self.m, offset)[0]

    def load(self):
        """A SeqLock's value (a numpy record) and its version."""
        assert self.kind == SEQLOCK
        value_at = DATA + round_up(9, self.cell_align)
        for _ in range(ATTEMPTS):
            s1 = self.u64(DATA)
            if s1 % 2:
                continue
            raw = bytes(self.m[value_at:value_at + self.payload_size])
            if self.u64(DATA) == s1:
                return np.frombuffer(raw, self.dtype)[0], s1 // 2
        raise Busy()

    def written(self):
        """Values written to a ring (its head)."""
        return self.u64(DATA)

    def get(self, p):
        """Write number `p` of a Ring (a record), or None if not written yet."""
        assert self.kind in (RING, TIMESERIES)
        value_in = round_up(8, self.cell_align)
        stride = round_up(value_in + round_up(self.payload_size, self.cell_align), self.cell_align)
        slot = DATA + 128 + (p % self.capacity) * stride
        s1 = self.u64(slot)
        if s1 < 2 * p + 2:
            return None
        if s1 > 2 * p + 2:
            raise Lapped()
        raw = bytes(self.m[slot + value_in:slot + value_in + self.payload_size])
        if self.u64(slot) != s1:
            raise Lapped()
        return np.frombuffer(raw[: self.value_size], self.dtype)[0]
