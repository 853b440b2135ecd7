"""Vectors of an update in progress, kept on disk as they are made, so a killed build resumes.

Owns: one append-only file per model in `<index-dir>/embed-cache/`, read back by model input hash.
Each record is the first 16 bytes of sha256(the text the model read: title and chunk, index.titles), the float32 vector, and a crc32 of both;
a record cut short or damaged by a kill ends the readable part, and the file is truncated there
before the next append. The update that finishes clears the file: from then on the index itself
holds those vectors (updates reuse them by chunk text and title).
Does not: decide what to embed (index.update) or store the index (index.store).
"""
from __future__ import annotations

import hashlib
import os
import re
import zlib
from pathlib import Path

import numpy as np

from index.embedding import ModelIdentity

DIGEST_BYTES = 16


def text_key(text: str) -> bytes:
    """The cache key of a model input (a chunk's embedding text, with its title)."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:DIGEST_BYTES]


class EmbeddingCache:
    """Append-only vectors by text hash for one model, in `folder`."""

    def __init__(self, folder: Path, model: ModelIdentity) -> None:
        tag = hashlib.sha256(repr(sorted(model.as_dict().items())).encode()).hexdigest()[:16]
        self.folder = folder
        self.path = folder / f"{re.sub(r'[^a-z0-9-]', '', model.backend)}-{tag}.bin"
        self.record = DIGEST_BYTES + 4 * model.dimension + 4
        self._good_bytes = 0
        self._loaded = False

    def load(self) -> dict[bytes, np.ndarray]:
        """Every whole, undamaged record (the first damaged one ends the read)."""
        vectors: dict[bytes, np.ndarray] = {}
        self._good_bytes, self._loaded = 0, True
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return vectors
        for offset in range(0, len(data) - self.record + 1, self.record):
            body, crc = data[offset : offset + self.record - 4], data[offset + self.record - 4 : offset + self.record]
            if zlib.crc32(body).to_bytes(4, "little") != crc:
                break
            vectors[body[:DIGEST_BYTES]] = np.frombuffer(body[DIGEST_BYTES:], dtype=np.float32).copy()
            self._good_bytes = offset + self.record
        return vectors

    def append(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Add records and push them to disk (after cutting off any damaged tail that load() found)."""
        if not self._loaded:
            self.load()
        self.folder.mkdir(parents=True, exist_ok=True)
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        payload = bytearray()
        for key, row in zip(keys, rows):
            body = key + row.tobytes()
            payload += body + zlib.crc32(body).to_bytes(4, "little")
        self._good_bytes = append_synced(self.path, self._good_bytes, bytes(payload))

    def clear(self) -> None:
        """Remove every cache file in the folder (this model's and any other's), and the folder if empty."""
        remove_cache_files(self.folder, ".bin")
        self._good_bytes = 0


def append_synced(path: Path, good_bytes: int, payload: bytes) -> int:
    """Append `payload` to the file after its first `good_bytes` (a damaged tail beyond them is cut
    off first), push it to disk, and return the new count of good bytes."""
    with path.open("ab") as f:
        if f.tell() != good_bytes:
            f.truncate(good_bytes)
            f.seek(good_bytes)
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    return good_bytes + len(payload)


def remove_cache_files(folder: Path, suffix: str) -> None:
    """Delete the folder's files with this suffix, and the folder when nothing else is left in it."""
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.suffix == suffix:
                entry.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass  # something else is in it: leave it
