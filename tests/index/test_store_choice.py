"""Choosing the index store: flags over environment variables, bad values refused in words."""
from __future__ import annotations

from pathlib import Path

import pytest

from index import QAError
from index.backend import EmbeddedStore, StoreConfig, open_store


def test_flags_win_over_the_environment_and_the_environment_over_the_default(monkeypatch):
    monkeypatch.delenv("QA_STORE", raising=False)
    monkeypatch.delenv("QA_MILVUS_URI", raising=False)
    assert StoreConfig.from_options().kind == "faiss"
    monkeypatch.setenv("QA_STORE", "milvus")
    monkeypatch.setenv("QA_MILVUS_URI", "http://milvus.internal:19530")
    assert StoreConfig.from_options().milvus_uri == "http://milvus.internal:19530"
    assert StoreConfig.from_options(store="faiss").kind == "faiss"
    assert StoreConfig.from_options(milvus_uri="/data/qa.db").milvus_uri == "/data/qa.db"


def test_the_lite_file_defaults_to_the_index_folder_and_the_token_is_never_shown(monkeypatch):
    monkeypatch.setenv("QA_MILVUS_TOKEN", "root:secret")
    config = StoreConfig.from_options(store="milvus")
    assert config.uri_for(Path("/srv/index")) == "/srv/index/milvus.db"
    assert config.milvus_token == "root:secret" and "secret" not in repr(config)
    assert "secret" not in config.describe(Path("/srv/index"))


@pytest.mark.parametrize(("options", "message"), [
    ({"store": "solr"}, "--store must be one of faiss, milvus, got 'solr'"),
    ({"store": "faiss", "milvus_uri": "http://h:19530"}, "is for the Milvus store; add --store milvus"),
])
def test_bad_choices_are_refused_with_what_to_type(monkeypatch, options, message):
    monkeypatch.delenv("QA_STORE", raising=False)
    with pytest.raises(QAError, match=message):
        StoreConfig.from_options(**options)


def test_the_embedded_store_is_written_from_the_corpus_only(tmp_path):
    store = open_store(StoreConfig(), tmp_path)
    assert isinstance(store, EmbeddedStore) and store.stats().chunks == 0
    with pytest.raises(QAError, match="run `python -m index`"):
        store.delete(["a"])
