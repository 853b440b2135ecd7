"""The indexing stage: articles in, a checked FAISS index with its chunk table out.

    >>> from index import update_index, load_index
"""
from __future__ import annotations

from index.annotate import (ACCORDING_TO, REPORTING_VERBS, ChunkAnnotation, Entity, Report, Token, annotate_texts,
                            load_pipeline)
from index.articles import Article, CorpusLoad, load_corpus, parse_article
from index.chunking import Chunk, ChunkSettings, chunk_article, split_sentences
from index.embedding import Embedder, load_token_counter, model_identity, set_offline_mode
from index.errors import (CorpusError, IndexBusyError, IndexMismatchError, IndexNotFoundError, QAError,
                          QuestionError)
from index.importer import ImportReport, RemoveReport, import_files, remove_articles
from index.store import IndexSettings, IndexVersion, load_index, resolve_index_dir
from index.update import UpdateSummary, update_index

__all__ = [
    "ACCORDING_TO", "REPORTING_VERBS", "ChunkAnnotation", "Entity", "Report", "Token", "annotate_texts", "load_pipeline",
    "Article", "CorpusLoad", "load_corpus", "parse_article", "Chunk", "ChunkSettings", "chunk_article",
    "split_sentences", "Embedder", "load_token_counter", "model_identity", "set_offline_mode", "CorpusError",
    "IndexBusyError", "IndexMismatchError", "IndexNotFoundError", "QAError", "QuestionError", "IndexSettings",
    "IndexVersion", "load_index", "resolve_index_dir", "UpdateSummary", "update_index", "ImportReport",
    "RemoveReport", "import_files", "remove_articles",
]
