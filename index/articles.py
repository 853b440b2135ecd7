"""Read article files from a corpus folder into `Article` values.

Owns: the article file format (UTF-8 text or Markdown, optional YAML front matter), reading
other text encodings (a byte order mark, else a Windows-1252 fallback), refusing what is not an
article (binary, empty, too large, a link out of the corpus folder, a second file with the same
id), document ids, content hashes and validation. Does not: chunk, embed or touch the built index.
A broken file is reported as a `CorpusError` naming the file and the problem; the others load.
A file that loads but deserves a look (read in another encoding) gets a `CorpusNote`.
"""
from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Mapping, NamedTuple

import yaml

from index.errors import CorpusError, QAError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
METADATA_FIELDS = ("title", "source", "url", "published", "author", "language")
MAX_ARTICLE_BYTES = 5_000_000  # the default limit; QA_MAX_ARTICLE_BYTES or load_corpus(max_bytes=) moves it
MAX_BYTES_VARIABLE = "QA_MAX_ARTICLE_BYTES"
# Byte order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control characters that text does not hold
_MAX_CONTROL_SHARE = 0.01


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


class CorpusNote(NamedTuple):
    """Something to know about a file that did load, such as the encoding it was read in."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CorpusLoad(NamedTuple):
    """What `load_corpus` found: the good articles, one error per broken file, one note per file to check.

    With `known` given, `unread` holds the content hash, by id, of each article whose file was not
    read because its size and mtime were as recorded (those are not in `articles`), and `listing`
    holds [size, mtime_ns, content hash] for every good file by its path in the corpus folder, for
    the next update to pass as `known` (files changed in the last RACY_SECONDS are left out).
    """

    articles: list[Article]
    problems: list[CorpusError]
    notes: list[CorpusNote] = []
    unread: dict[str, str] = {}
    listing: dict[str, list] = {}


RACY_SECONDS = 2.0
"""A file modified this close to the listing is not listed: a second write within the same mtime
tick, keeping the size, would otherwise pass for unchanged (git calls this a racy entry)."""


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
        CorpusError: binary or undecodable, bad front matter, a bad field, or an empty body.

    >>> parse_article(b"---\\ntitle: Hi\\n---\\nBody.", doc_id="a").title
    'Hi'
    """
    return _parse(raw, doc_id=doc_id, path=path)[0]


def _parse(raw: bytes, *, doc_id: str, path: Path | str) -> tuple[Article, str | None]:
    """The article and a note on how it was decoded (None for plain UTF-8)."""
    if not raw:
        raise CorpusError(path, "the file is empty (0 bytes); write the article text into it or delete it")
    text, note = decode_article_text(raw, path)
    fields, body = _split_front_matter(text, path)
    if not body.strip():
        raise CorpusError(path, "the article body is empty; add the article text below the front matter")
    return Article(doc_id=doc_id, body=body, content_hash=hash_content(raw), **_validate_fields(fields, path)), note


def decode_article_text(raw: bytes, path: Path | str = "<memory>") -> tuple[str, str | None]:
    """The file's text with newline line ends, and a note when it was not plain UTF-8.

    A byte order mark (UTF-8, UTF-16, UTF-32) decides the encoding. Without one the bytes must be
    UTF-8; when they are not, they are read as Windows-1252 (Latin-1 where that has no character),
    the usual encoding of Western text saved on Windows, and the note says so.

    Raises:
        CorpusError: binary (NUL bytes or mostly control characters), or not valid in its marked encoding.

    >>> decode_article_text(b"Caf\\xe9")
    ('Café', 'not UTF-8 (byte 3 is 0xe9), read as Windows-1252; check its accented letters and re-save it as UTF-8')
    """
    marked = next((encoding for mark, encoding in _BYTE_ORDER_MARKS if raw.startswith(mark)), None)
    if marked:
        text, note = _decode_marked(raw, marked, path)
    else:
        text, note = _decode_unmarked(raw, path)
    _refuse_binary(text, path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), note


def _decode_marked(raw: bytes, encoding: str, path: Path | str) -> tuple[str, str | None]:
    name = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise CorpusError(path, f"starts with a {name} byte order mark but is not valid {name} (byte {e.start}); "
                                f"re-save the file as UTF-8") from e
    return text, None if encoding == "utf-8-sig" else f"read as {name} (it starts with a byte order mark)"


def _decode_unmarked(raw: bytes, path: Path | str) -> tuple[str, str | None]:
    nul = raw.find(b"\x00")
    if nul != -1:
        raise CorpusError(path, f"looks like a binary file (a NUL byte at byte {nul}), not an article; article files "
                                f"must be text, best UTF-8 (UTF-16 needs its byte order mark)")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        where = f"byte {e.start} is 0x{raw[e.start]:02x}"
    try:
        text, encoding = raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "Latin-1"
    return text, f"not UTF-8 ({where}), read as {encoding}; check its accented letters and re-save it as UTF-8"


def _refuse_binary(text: str, path: Path | str) -> None:
    controls = len(_CONTROL.findall(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise CorpusError(path, f"looks like a binary file ({controls:,} of {len(text):,} characters are control "
                                f"characters), not an article; article files must be text, best UTF-8")


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~10x faster on big archives


def _split_front_matter(text: str, path: Path | str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise CorpusError(path, "front matter starts with '---' but has no closing '---' line")
    try:
        fields = yaml.load(text[4:end], Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as e:
        raise CorpusError(path, f"front matter is not valid YAML ({str(e).splitlines()[0]})") from e
    except ValueError as e:  # YAML reads 2021-02-30 as a date and fails on it
        raise CorpusError(path, f"front matter has an impossible value ({e}); dates must be real, like 2021-02-15") from e
    except RecursionError as e:
        raise CorpusError(path, "front matter is nested too deeply to read; it must be a flat list of fields") from e
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
    """Paths under `corpus_dir` with an article suffix, sorted; hidden ones and folders skipped.

    Links are listed (the loader decides about them); links to folders are not followed.
    """
    return [Path(path) for path, _ in _scan(corpus_dir)[0]]


def _scan(corpus_dir: Path, *, stat: bool = False) -> tuple[list[tuple[str, os.stat_result | None]], list[Path]]:
    """(article files as find_article_files lists them, each with its lstat when `stat` and it is a
    regular file, else None; links to folders), each in sorted path order.

    One walk with os.scandir, hidden folders pruned, paths kept as strings: at 100,000 files this
    takes a fraction of the time of `rglob` passes that sort Path objects and make each path
    relative again. Regular files are told by the directory entry's type, without a stat; the
    stats are taken only when asked for (see _stats).
    """
    regular: list[str] = []
    links: list[str] = []
    folder_links: list[str] = []
    pending = [os.fspath(corpus_dir)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                found = list(entries)
        except (PermissionError, FileNotFoundError, NotADirectoryError):  # as rglob: an unreadable folder is skipped
            continue
        for entry in found:
            name = entry.name
            if name.startswith("."):
                continue
            if name.lower().endswith(ARTICLE_SUFFIXES) and entry.is_file(follow_symlinks=False):
                regular.append(entry.path)
            elif entry.is_symlink():
                if entry.is_dir():
                    folder_links.append(entry.path)
                if name.lower().endswith(ARTICLE_SUFFIXES):
                    links.append(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            elif name.lower().endswith(ARTICLE_SUFFIXES):
                links.append(entry.path)  # neither file nor folder (a pipe, a device): the loader refuses it
    stats = _stats(regular) if stat else [None] * len(regular)
    files = list(zip(regular, stats)) + [(path, None) for path in links]
    # Path's own order (by parts) on strings: the separator as the lowest character (paths hold no NUL)
    files.sort(key=lambda item: item[0].replace(os.sep, "\0"))
    return files, sorted(map(Path, folder_links), key=lambda path: path.parts)


def _stats(paths: list[str]) -> list[os.stat_result | None]:
    """os.lstat of each path (None where it fails or is no longer a regular file), one after another.

    Threads were tried: on an idle machine 100,000 lstats took 0.30 s in one thread, 0.46 s in 2
    and 0.75 s in 4 (each call is too short to win back the GIL's hand-over).
    """
    out: list[os.stat_result | None] = []
    lstat, append = os.lstat, out.append
    for path in paths:
        try:
            found = lstat(path)
        except OSError:
            append(None)
            continue
        append(found if S_ISREG(found.st_mode) else None)
    return out


def max_article_bytes() -> int:
    """The size limit for one article file: $QA_MAX_ARTICLE_BYTES, else MAX_ARTICLE_BYTES.

    Raises:
        QAError: the variable is set but is not a positive whole number.
    """
    return whole_number_setting(MAX_BYTES_VARIABLE, MAX_ARTICLE_BYTES, minimum=1,
                                must="a positive number of bytes", default_shown=f"{MAX_ARTICLE_BYTES:,}")


def whole_number_setting(variable: str, default: int, *, minimum: int, must: str,
                         default_shown: str | None = None) -> int:
    """The whole number an environment variable sets, or `default` where it is unset or blank.

    Raises:
        QAError: the variable is set but is not a whole number of at least `minimum`; the message
            says it `must` be, and how to get the default back.

    >>> os.environ["QA_DOCTEST_N"] = "x"
    >>> whole_number_setting("QA_DOCTEST_N", 5, minimum=2, must="a whole number of at least 2")
    Traceback (most recent call last):
    index.errors.QAError: QA_DOCTEST_N must be a whole number of at least 2, got 'x'; unset it for the default 5
    >>> del os.environ["QA_DOCTEST_N"]
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise QAError(f"{variable} must be {must}, got {value!r}; "
                      f"unset it for the default {default if default_shown is None else default_shown}")
    return int(value)


def load_corpus(corpus_dir: Path | str, *, max_bytes: int | None = None,
                reuse: Mapping[str, Article] | None = None, known: Mapping[str, list] | None = None) -> CorpusLoad:
    """Load every article file of a corpus folder; a broken file becomes a problem, not a crash.

    Two files with one id (`a.md`, `a.txt`): the first in sorted path order is loaded, the other
    is reported naming both. Links that leave the folder are refused, also links to folders.

    Args:
        corpus_dir: the corpus folder.
        max_bytes: the size limit for one file (default: `max_article_bytes()`).
        reuse: articles already parsed (the live index's), by id: a UTF-8 file whose bytes hash to
            the same content hash is not parsed again (front matter parsing dominates big archives).
        known: the last update's listing ([size, mtime_ns, content hash] by path in the folder): a
            regular file with that size and mtime is not read; its id and hash go into `unread`.

    Raises:
        CorpusError: the folder itself is missing.
        QAError: $QA_MAX_ARTICLE_BYTES is not a number.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus folder not found; pass --corpus DIR or create it")
    limit = max_article_bytes() if max_bytes is None else max_bytes
    articles: dict[str, Article] = {}
    first_path: dict[str, Path | str] = {}  # str for files not read (no Path made for them)
    files, folder_links = _scan(corpus_dir, stat=known is not None)
    problems = _links_to_outside_folders(corpus_dir, folder_links)
    notes: list[CorpusNote] = []
    unread: dict[str, str] = {}
    listing: dict[str, list] = {}
    root = os.fspath(corpus_dir)
    settled = (time.time() - RACY_SECONDS) * 1e9
    for name, stat in files:
        rel = name[len(root) + 1 :]
        entry = known.get(rel) if stat is not None else None
        if entry is not None and entry[:2] == [stat.st_size, stat.st_mtime_ns] and len(entry) == 3:
            doc_id = rel.rpartition(".")[0].replace(os.sep, "/")  # the name has an article suffix
            if doc_id in articles or doc_id in unread:
                problems.append(CorpusError(Path(name), f"has the same id '{doc_id}' as {first_path[doc_id]}, "
                                                        f"which is indexed instead; rename or remove one of them"))
                continue
            unread[doc_id], first_path[doc_id], listing[rel] = entry[2], name, entry
            continue
        path = Path(name)
        if path.is_dir():  # a link to a folder: never followed, refused above when it leaves the corpus
            continue
        try:
            article, note = _load_file(path, corpus_dir, limit, reuse or {})
        except CorpusError as e:
            problems.append(e)
            continue
        if article.doc_id in articles or article.doc_id in unread:
            problems.append(CorpusError(path, f"has the same id '{article.doc_id}' as {first_path[article.doc_id]}, "
                                              f"which is indexed instead; rename or remove one of them"))
            continue
        articles[article.doc_id], first_path[article.doc_id] = article, path
        if stat is not None and stat.st_mtime_ns < settled:
            listing[rel] = [stat.st_size, stat.st_mtime_ns, article.content_hash]
        if note:
            notes.append(CorpusNote(path, note))
    return CorpusLoad(list(articles.values()), problems, notes, unread, listing)


def _links_to_outside_folders(corpus_dir: Path, folder_links: list[Path]) -> list[CorpusError]:
    root = corpus_dir.resolve()
    return [CorpusError(p, "is a link to a folder outside the corpus folder; links to folders are not followed, "
                           "copy the articles in instead")
            for p in folder_links if not p.resolve().is_relative_to(root)]


def _load_file(path: Path, corpus_dir: Path, limit: int,
               reuse: Mapping[str, Article]) -> tuple[Article, str | None]:
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(corpus_dir.resolve()):
            raise CorpusError(path, "is a link to a file outside the corpus folder; copy the file in instead")
        if not target.exists():
            raise CorpusError(path, f"is a link to {target}, which does not exist; remove the link")
    if not path.is_file():
        raise CorpusError(path, "is not a regular file (a device, socket or pipe); remove it from the corpus folder")
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise CorpusError(path, f"cannot be read ({e.strerror})") from e
    if len(raw) > limit:
        raise CorpusError(path, f"is too large: {max(size, len(raw)):,} bytes, over the {limit:,}-byte limit for "
                                f"one article; split it, or raise the limit with {MAX_BYTES_VARIABLE}")
    doc_id = doc_id_for(path, corpus_dir)
    known = reuse.get(doc_id)
    if known is not None and known.content_hash == hash_content(raw) and _is_utf8(raw):
        return known, None
    return _parse(raw, doc_id=doc_id, path=path)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
