"""A GGUF file's integer metadata and weight types, read from its header alone.

The engine needs this before llama.cpp starts computing (see kernels.py), and the `gguf`
package's reader maps every tensor (over a second for a 7B file); this walks the header only.
"""

from __future__ import annotations

import mmap
import struct
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# ggml_type ids (ggml.h) of the types llama.cpp's tiled CPU matmul takes (ggml-cpu/tiled).
TILED_TYPES = {10, 11, 12, 13, 14, 16, 17, 18, 19, 21, 22, 23, 29}  # Q2_K..Q6_K, IQ1-IQ4_XS

# ggml_type ids with a repacked CPU layout on some CPU (ggml-cpu/repack.cpp: Q4_0, Q8_0, Q2_K,
# Q4_K, Q5_K, Q6_K, IQ4_NL, MXFP4); which of them repack depends on the CPU's features.
REPACK_TYPES = {2, 8, 10, 12, 13, 14, 20, 39}

_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # by value type
_STRING, _ARRAY = 8, 9


class _Reader:
    """Walks a memory map: the vocabulary's 262k strings are one unpack each, no system calls."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def skip_string(self) -> None:
        self.pos += 8 + struct.unpack_from("<Q", self.data, self.pos)[0]

    def skip_value(self, vtype: int, count: int = 1) -> None:
        if vtype in _SCALAR:
            self.pos += _SCALAR[vtype] * count
        elif vtype == _STRING:
            for _ in range(count):
                self.skip_string()
        elif vtype == _ARRAY:
            for _ in range(count):
                inner, n = self.unpack("<IQ")
                self.skip_value(inner, n)
        else:
            raise ValueError(f"unknown GGUF value type {vtype}")


@dataclass(frozen=True)
class GGUFInfo:
    integers: dict[str, int]  # the integer metadata: "llama.block_count" -> 32, ...
    weights: Counter  # elements per ggml type id, over all tensors

    def kv_bytes_per_token(self) -> int:
        """The f16 KV cache one token takes in every layer (0 when the metadata lacks it)."""
        arch = next((k.split(".")[0] for k in self.integers if k.endswith(".block_count")), "")
        get = lambda key, default=0: self.integers.get(f"{arch}.{key}", default)  # noqa: E731
        heads = get("attention.head_count")
        if not heads:
            return 0
        head_dim = get("embedding_length") // heads
        width = get("attention.key_length", head_dim) + get("attention.value_length", head_dim)
        return get("block_count") * get("attention.head_count_kv", heads) * width * 2


_INTEGER = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}


def read(path: str | Path) -> GGUFInfo:
    """The integer metadata and the weight types of a GGUF file."""
    return _read(str(path))


@lru_cache(maxsize=8)
def _read(path: str) -> GGUFInfo:
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        r = _Reader(data)
        try:
            magic, version, n_tensors, n_kv = r.unpack("<4sIQQ")
            if magic != b"GGUF" or version < 2:
                raise ValueError("not a GGUF v2+ file")
            integers = {}
            for _ in range(n_kv):
                (length,) = r.unpack("<Q")
                key = bytes(data[r.pos:r.pos + length]).decode("utf-8", "replace")
                r.pos += length
                (vtype,) = r.unpack("<I")
                if vtype in _INTEGER:
                    (integers[key],) = r.unpack(_INTEGER[vtype])
                else:
                    r.skip_value(vtype)
            counts: Counter = Counter()
            for _ in range(n_tensors):
                r.skip_string()  # name
                (n_dims,) = r.unpack("<I")
                elements = 1
                for dim in r.unpack(f"<{n_dims}Q"):
                    elements *= dim
                ggml_type, _offset = r.unpack("<IQ")
                counts[ggml_type] += elements
        except struct.error:
            raise ValueError("truncated GGUF header") from None
    return GGUFInfo(integers, counts)


def weight_types(path: str | Path) -> Counter:
    """Elements per ggml type id, over all tensors of the file."""
    return read(path).weights


def tiled_share(path: str | Path) -> float:
    """The fraction of weights llama.cpp's tiled K-quant kernels would multiply."""
    counts = weight_types(path)
    total = sum(counts.values())
    return sum(n for t, n in counts.items() if t in TILED_TYPES) / total if total else 0.0


def repack_share(path: str | Path) -> float:
    """The fraction of weights of types that llama.cpp may repack for the CPU."""
    counts = weight_types(path)
    total = sum(counts.values())
    return sum(n for t, n in counts.items() if t in REPACK_TYPES) / total if total else 0.0
