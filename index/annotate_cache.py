"""Annotations of an update in progress, kept on disk as they are made, so a killed build resumes.

Owns: one append-only text file per annotation pipeline in `<index-dir>/annotate-cache/`: a line
per chunk, `<hex of index.embed_cache.text_key(text)>\\t<annotations.jsonl line>\\n`. A line cut short
by a kill (no newline, or a key that is not 32 hex digits) ends the readable part, and the file is
truncated there before the next append. The update that finishes clears the folder, as it does
the embedding cache.
Does not: annotate (index.annotate) or decide what to annotate (index.update).
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from index.annotate import AnnotatorIdentity
from index.embed_cache import append_synced, remove_cache_files

_KEY = re.compile(rb"[0-9a-f]{32}")


class AnnotationCache:
    """Append-only annotation lines by text hash for one pipeline, in `folder`."""

    def __init__(self, folder: Path, identity: AnnotatorIdentity) -> None:
        tag = hashlib.sha256(repr(sorted(identity.as_dict().items())).encode()).hexdigest()[:16]
        self.folder = folder
        self.path = folder / f"spacy-{tag}.jsonl"
        self._good_bytes = 0
        self._loaded = False

    def load(self) -> dict[bytes, str]:
        """Every whole line's annotation by text key (the first damaged line ends the read)."""
        lines: dict[bytes, str] = {}
        self._good_bytes, self._loaded = 0, True
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return lines
        offset = 0
        while (end := data.find(b"\n", offset)) >= 0:
            key, tab, body = data[offset:end].partition(b"\t")
            if not (tab and _KEY.fullmatch(key) and body.startswith(b"{") and body.endswith(b"}")):
                break
            try:
                lines[bytes.fromhex(key.decode())] = body.decode("utf-8")
            except UnicodeDecodeError:
                break
            offset = self._good_bytes = end + 1
        return lines

    def append(self, keys: list[bytes], lines: list[str]) -> None:
        """Add lines and push them to disk (after cutting off any damaged tail that load() found)."""
        if not self._loaded:
            self.load()
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = "".join(f"{key.hex()}\t{line}\n" for key, line in zip(keys, lines)).encode("utf-8")
        self._good_bytes = append_synced(self.path, self._good_bytes, payload)

    def clear(self) -> None:
        """Remove every cache file in the folder (this pipeline's and any other's), and the folder if empty."""
        remove_cache_files(self.folder, ".jsonl")
        self._good_bytes = 0
