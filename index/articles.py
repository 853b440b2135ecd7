"""Read article files from a corpus folder into `Article` values.

Owns: the article file format (UTF-8 text or Markdown, optional YAML front matter), document ids,
content hashes and validation. Does not: chunk, embed or touch the built index.
A broken file is reported as a `CorpusError` naming the file and the problem; the others load.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from index.errors import CorpusError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
METADATA_FIELDS = ("title", "source", "url", "published", "author", "language")
MAX_ARTICLE_BYTES = 5_000_000


@dataclass(frozen=True)
class Article:
    """One article: its id, metadata and body text. Citations point into `body` by offsets."""

    doc_id: str
    body: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None
    content_hash: str = ""

    def metadata(self) -> dict[str, str | None]:
        """The front matter fields, None where unknown."""
        return {name: getattr(self, name) for name in METADATA_FIELDS}


class CorpusLoad(NamedTuple):
    """What `load_corpus` found: the good articles and one error per broken file."""

    articles: list[Article]
    problems: list[CorpusError]


def hash_content(raw: bytes) -> str:
    """The content hash used to tell changed articles from unchanged ones."""
    return hashlib.sha256(raw).hexdigest()


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """`corpus/a/b.md` -> `a/b`: the path relative to the corpus, without its extension."""
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


def parse_article(raw: bytes, *, doc_id: str, path: Path | str = "<memory>") -> Article:
    """Parse one article file's bytes.

    Args:
        raw: the file's bytes.
        doc_id: the document id to give it.
        path: where it came from, for error messages.

    Raises:
        CorpusError: not UTF-8, bad front matter, a bad field, or an empty body.

    >>> parse_article(b"---\\ntitle: Hi\\n---\\nBody.", doc_id="a").title
    'Hi'
    """
    text = _decode(raw, path)
    fields, body = _split_front_matter(text, path)
    if not body.strip():
        raise CorpusError(path, "the article body is empty; add the article text below the front matter")
    return Article(doc_id=doc_id, body=body, content_hash=hash_content(raw), **_validate_fields(fields, path))


def _decode(raw: bytes, path: Path | str) -> str:
    if b"\x00" in raw[:8192]:
        raise CorpusError(path, "looks like a binary file, not text; article files must be UTF-8 text or Markdown")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(
            path, f"not UTF-8 (byte {e.start} is 0x{raw[e.start]:02x}); re-save the file as UTF-8"
        ) from e
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(text: str, path: Path | str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise CorpusError(path, "front matter starts with '---' but has no closing '---' line")
    try:
        fields = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as e:
        raise CorpusError(path, f"front matter is not valid YAML ({str(e).splitlines()[0]})") from e
    except ValueError as e:  # YAML reads 2021-02-30 as a date and fails on it
        raise CorpusError(path, f"front matter has an impossible value ({e}); dates must be real, like 2021-02-15") from e
    if not isinstance(fields, dict):
        raise CorpusError(path, "front matter must be a YAML mapping of fields (title: ..., url: ...)")
    return fields, text[end + 5 :]


def _validate_fields(fields: dict, path: Path | str) -> dict[str, str | None]:
    unknown = sorted(str(k) for k in fields if k not in METADATA_FIELDS)
    if unknown:
        raise CorpusError(path, f"unknown front matter field(s) {unknown}; valid fields are {list(METADATA_FIELDS)}")
    values: dict[str, str | None] = {}
    for name in METADATA_FIELDS:
        value = fields.get(name)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        if value is not None and not isinstance(value, (str, int, float)):
            raise CorpusError(path, f"front matter field '{name}' must be text, got {type(value).__name__}")
        text = str(value).strip() if value is not None else ""
        values[name] = text or None
    values["published"] = _validate_date(values["published"], path)
    if values["url"] and not values["url"].lower().startswith(("http://", "https://")):
        raise CorpusError(path, f"url must start with http:// or https://, got {values['url']!r}")
    return values


def _validate_date(value: str | None, path: Path | str) -> str | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError as e:
        raise CorpusError(path, f"published must be an ISO date like 2021-02-15, got {value!r}") from e


def find_article_files(corpus_dir: Path) -> list[Path]:
    """Article files under `corpus_dir`, sorted, hidden files and other suffixes skipped."""
    return sorted(
        p for p in corpus_dir.rglob("*")
        if p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
        and p.is_file()
    )


def load_corpus(corpus_dir: Path | str) -> CorpusLoad:
    """Load every article file of a corpus folder; a broken file becomes a problem, not a crash.

    Raises:
        CorpusError: the folder itself is missing.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus folder not found; pass --corpus DIR or create it")
    articles: dict[str, Article] = {}
    problems: list[CorpusError] = []
    for path in find_article_files(corpus_dir):
        try:
            article = _load_file(path, corpus_dir)
        except CorpusError as e:
            problems.append(e)
            continue
        if article.doc_id in articles:
            problems.append(CorpusError(path, f"another file already has the id '{article.doc_id}'; rename one of them"))
            continue
        articles[article.doc_id] = article
    return CorpusLoad(list(articles.values()), problems)


def _load_file(path: Path, corpus_dir: Path) -> Article:
    if path.is_symlink() and not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise CorpusError(path, "is a link to a file outside the corpus folder; copy the file in instead")
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise CorpusError(path, f"is {size:,} bytes, over the {MAX_ARTICLE_BYTES:,}-byte limit for one article; split it")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CorpusError(path, f"cannot be read ({e.strerror})") from e
    return parse_article(raw, doc_id=doc_id_for(path, corpus_dir), path=path)
