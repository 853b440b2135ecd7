"""Bring articles into the corpus folder from outside files, and take them out again.

Owns: reading `.md`, `.markdown`, `.txt`, `.html`/`.htm` (through trafilatura: body, title, date,
author, site name; navigation, footers and copyright lines left out) and `.json`/`.jsonl` (one
article per object) into article files with YAML front matter; the file names and ids they get
(a slug of the title or file name and a short hash, never a path from the input); refusing what
cannot be an article with one line that says what to do; writing each file whole (a hidden temp
file linked into place) and removing an article's file; then updating the index incrementally.
Does not: define the article format or its validation (that is `index.articles`, reused here so
the messages are the same), chunk or embed (`index.update`), or show anything.

    >>> from index.importer import import_files, remove_articles
    >>> safe_slug("../../etc/passwd: a *title*")
    'etc-passwd-a-title'
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Callable, Iterable, NamedTuple, Sequence, Union

from index.articles import (ARTICLE_SUFFIXES, METADATA_FIELDS, Article, MAX_BYTES_VARIABLE, decode_article_text,
                            doc_id_for, find_article_files, max_article_bytes, parse_article)
from index.chunking import ChunkSettings
from index.embedding import BACKENDS, Embedder
from index.errors import CorpusError, QAError
from index.store import IndexSettings, current_version_path, read_articles, read_manifest
from index.backend import StoreConfig, open_store
from index.update import UpdateSummary, update_index

MAX_INPUT_BYTES = 10 * 1024 * 1024  # one input file, 10 MiB (HTML carries markup); checked before reading
MAX_IMPORT_FILES = 50  # input files in one import
MAX_ARTICLES_PER_FILE = 1_000  # objects in one .json or .jsonl file
MIN_HTML_TEXT_CHARS = 80  # less text than this found in a page is navigation or an error page, not an article
SLUG_MAX_CHARS = 60
HASH_CHARS = 10
HTML_SUFFIXES = (".html", ".htm")
JSON_SUFFIXES = (".json", ".jsonl")
IMPORT_SUFFIXES = ARTICLE_SUFFIXES + HTML_SUFFIXES + JSON_SUFFIXES
JSON_FIELDS = METADATA_FIELDS + ("body",)
_TEMP_PREFIX = ".import-"  # hidden: the corpus loader skips names starting with '.'
_COPYRIGHT = re.compile(r"^\s*(©|\(c\)|copyright\b|all rights reserved\b)", re.I)
_RIGHTS = re.compile(r"all rights reserved|©", re.I)
_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

@dataclass(frozen=True)
class Draft:
    """One article as read from an input, before it has an id: what is known of it, and its body."""

    body: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None

    def fields(self) -> dict[str, str]:
        """The known front matter fields, in the format's order."""
        return {name: value for name in METADATA_FIELDS if (value := getattr(self, name))}


PASTED_NAME = "pasted text"
Source = Union[Path, str, tuple[str, bytes], Draft]
"""An input: a file path, (file name, its bytes) for a file that arrived another way (an upload), or a
`Draft` for an article typed or pasted in (named PASTED_NAME in the report)."""


class ImportLine(NamedTuple):
    """What became of one article of an input: imported as `doc_id`, or refused for `problem`."""

    name: str
    doc_id: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        return f"imported {self.name} as {self.doc_id}" if self.ok else f"refused {self.name}: {self.problem}"


@dataclass
class ImportReport:
    """One line per article (or per input that held none), and the index update that followed."""

    lines: list[ImportLine] = field(default_factory=list)
    summary: UpdateSummary | None = None
    index_error: str | None = None  # the update failed: every file this import wrote was taken out again

    @property
    def imported(self) -> list[str]:
        """The ids of the articles now in the corpus (and the index, when it was updated)."""
        return [line.doc_id for line in self.lines if line.ok]

    @property
    def problems(self) -> list[ImportLine]:
        return [line for line in self.lines if not line.ok]


class RemoveLine(NamedTuple):
    """What became of one id asked to be removed."""

    doc_id: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        return f"removed {self.doc_id}" if self.ok else f"not removed {self.doc_id!r}: {self.problem}"


@dataclass
class RemoveReport:
    """One line per id, and the index update that followed."""

    lines: list[RemoveLine] = field(default_factory=list)
    summary: UpdateSummary | None = None
    index_error: str | None = None  # the update failed: the files were put back

    @property
    def removed(self) -> list[str]:
        return [line.doc_id for line in self.lines if line.ok]


class ImportRefused(QAError):
    """One input or article cannot be imported; the message says why and what to do."""


# --- names and ids ------------------------------------------------------------------------------------------

def safe_slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', at most SLUG_MAX_CHARS: no path, dot or odd character survives.

    >>> safe_slug("Café Müller: «Nouvelle» saison!"), safe_slug("/abs/../x.md"), safe_slug("...")
    ('cafe-muller-nouvelle-saison', 'abs-x-md', '')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    slug = ""
    for word in words:
        joined = f"{slug}-{word}" if slug else word
        if len(joined) > SLUG_MAX_CHARS:
            break
        slug = joined
    return slug or (words[0][:SLUG_MAX_CHARS] if words else "")


def base_name(name: str) -> str:
    """The last part of a file name as any system writes it: `../x.md`, `C:\\a\\b.md` -> `x.md`, `b.md`.

    >>> base_name("../../etc/passwd"), base_name("C:\\\\docs\\\\a.html"), base_name("/tmp/x/")
    ('passwd', 'a.html', 'x')
    """
    return PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name or name.rstrip("/\\")).name


def article_id(draft: Draft, file_name: str) -> str:
    """`slug-hash`: the slug of the title (else of the file name), and a hash of the title and body.

    The same article imported twice gets the same id, so the second is refused as a duplicate.

    >>> article_id(Draft(body="Text.", title="Bridge: it reopens"), "x.md")
    'bridge-it-reopens-7f13909ada'
    """
    slug = safe_slug(draft.title or "") or safe_slug(Path(base_name(file_name)).stem) or "article"
    digest = hashlib.sha256(f"{draft.title or ''}\n{_body_key(draft.body)}".encode("utf-8")).hexdigest()
    return f"{slug}-{digest[:HASH_CHARS]}"


def _body_key(body: str) -> str:
    """The body with its spacing normalised: what 'the same article text' compares."""
    return " ".join(body.split())


def _body_hash(body: str) -> str:
    return hashlib.sha256(_body_key(body).encode("utf-8")).hexdigest()


# --- reading inputs -------------------------------------------------------------------------------------------

def pasted_draft(title: str, body: str, *, source: str = "", url: str = "", published: str = "",
                 author: str = "") -> Draft:
    r"""An article typed or pasted in: metadata on one line each, line ends made newlines; empty means unknown.

    >>> pasted_draft(" Storm\nwarning ", "Rain.\r\nWind.", source="").fields()
    {'title': 'Storm warning'}
    """
    return Draft(body=body.replace("\r\n", "\n").replace("\r", "\n"), title=_one_line(title),
                 source=_one_line(source), url=_one_line(url), published=_one_line(published),
                 author=_one_line(author))


def read_source(source: Source) -> tuple[str, bytes]:
    """(the display name, the bytes) of an input, refusing a file over MAX_INPUT_BYTES before reading it.

    Raises:
        ImportRefused: missing, not a regular file, unreadable or too large.
    """
    if isinstance(source, tuple):
        name, raw = source
        _check_size(len(raw))
        return base_name(name), raw
    path = Path(source)
    try:
        if not path.is_file():
            raise ImportRefused("is not a file (missing, a folder or a device); give the path of an article file")
        size = path.stat().st_size
        _check_size(size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise ImportRefused(f"cannot be read ({e.strerror}); check the path and its permissions") from e
    _check_size(len(raw))
    return path.name, raw


def _check_size(size: int) -> None:
    if size > MAX_INPUT_BYTES:
        raise ImportRefused(f"is too large: {size:,} bytes, over the {MAX_INPUT_BYTES:,}-byte limit for one file "
                            f"to import; split it into smaller files")
    if size == 0:
        raise ImportRefused("is empty (0 bytes); give a file that holds the article text")


def read_drafts(name: str, raw: bytes) -> list[Draft | ImportRefused]:
    """The articles of one input by its suffix; a JSON(L) file may hold several, each may be refused alone.

    Raises:
        ImportRefused: an unknown suffix, or an input that as a whole holds no article.
    """
    suffix = Path(name).suffix.lower()
    if suffix in ARTICLE_SUFFIXES:
        return [read_text_article(raw, name)]
    if suffix in HTML_SUFFIXES:
        return [read_html_article(raw, name)]
    if suffix in JSON_SUFFIXES:
        return read_json_articles(raw, name)
    raise ImportRefused(f"has the suffix {suffix or '(none)'!r}, which is not imported; give one of "
                        f"{', '.join(IMPORT_SUFFIXES)}")


def read_text_article(raw: bytes, name: str) -> Draft:
    """A `.md` or `.txt` file by the corpus loader's rules (front matter optional); a Markdown
    file's first `# heading` is its title when the front matter has none.

    Raises:
        ImportRefused: what the loader refuses (binary, bad front matter, empty body), same message.
    """
    try:
        article = parse_article(raw, doc_id="import", path=name)
    except CorpusError as e:
        raise ImportRefused(e.reason) from e
    title = article.title or _markdown_heading(article.body)
    fields = {k: v for k, v in article.metadata().items() if k != "title"}
    return Draft(body=article.body, title=title, **fields)


def _markdown_heading(body: str) -> str | None:
    first = body.lstrip("\n").split("\n", 1)[0]
    match = re.match(r"#\s+(.+?)\s*#*\s*$", first)
    return match.group(1) if match else None


def read_html_article(raw: bytes, name: str) -> Draft:
    """An article page through trafilatura: its main text, title, date, author and site name.

    Script, style, navigation, asides and footers are not part of the text trafilatura finds; a
    line that is only a copyright notice is dropped as well. Offline: nothing is fetched.

    Raises:
        ImportRefused: binary, or no article text in the page.
    """
    import trafilatura

    try:
        text, _ = decode_article_text(raw, name)
    except CorpusError as e:
        raise ImportRefused(e.reason) from e
    found = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, include_tables=True,
                                        favor_precision=True, deduplicate=True)
    body = _clean_page_text(found.text or "", found.title) if found is not None else ""
    if len(body) < MIN_HTML_TEXT_CHARS:
        raise ImportRefused(f"no article text found in this page ({len(body)} characters outside navigation and "
                            f"markup); save the article's own page as HTML, or paste its text in as .txt")
    url = found.url if found.url and found.url.lower().startswith(("http://", "https://")) else None
    return Draft(body=body, title=_one_line(found.title), source=_one_line(found.sitename), url=url,
                 published=_iso_date(found.date), author=_one_line(found.author), language=_one_line(found.language))


def _clean_page_text(text: str, title: str | None) -> str:
    """Paragraphs split by blank lines, without a leading copy of the title or copyright lines."""
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if paragraphs and title and paragraphs[0] == title.strip():
        paragraphs = paragraphs[1:]
    paragraphs = [p for p in paragraphs if not (_COPYRIGHT.match(p) or (_RIGHTS.search(p) and len(p) < 200))]
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def _iso_date(value: object) -> str | None:
    text = str(value or "").strip()
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None


def read_json_articles(raw: bytes, name: str) -> list[Draft | ImportRefused]:
    """A `.json` file (one object, or a list of them) or `.jsonl` (one object a line): one article each.

    Raises:
        ImportRefused: not JSON, no objects, or more than MAX_ARTICLES_PER_FILE.
    """
    try:
        text, _ = decode_article_text(raw, name)
    except CorpusError as e:
        raise ImportRefused(e.reason) from e
    records = _json_records(text, jsonl=name.lower().endswith(".jsonl"))
    if not records:
        raise ImportRefused("holds no article objects; write one {\"title\": ..., \"body\": ...} object per article")
    if len(records) > MAX_ARTICLES_PER_FILE:
        raise ImportRefused(f"holds {len(records):,} articles, over the limit of {MAX_ARTICLES_PER_FILE:,} in one "
                            f"file; split it into smaller files")
    return [_draft_from_record(record) for record in records]


def _json_records(text: str, *, jsonl: bool) -> list[object]:
    try:
        if jsonl:
            return [json.loads(line) for line in text.split("\n") if line.strip()]
        loaded = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportRefused(f"is not valid JSON{' Lines' if jsonl else ''} ({e.msg} at line {e.lineno}, "
                            f"column {e.colno}); fix it or save the articles as .md files") from e
    except RecursionError as e:
        raise ImportRefused("is nested too deeply to read; write one flat object per article") from e
    return loaded if isinstance(loaded, list) else [loaded]


def _draft_from_record(record: object) -> Draft | ImportRefused:
    if not isinstance(record, dict):
        return ImportRefused(f"an entry is {type(record).__name__}, not an object; write one "
                             f"{{\"title\": ..., \"body\": ...}} object per article")
    unknown = sorted(str(k) for k in record if k not in JSON_FIELDS)
    if unknown:
        return ImportRefused(f"unknown field(s) {unknown}; valid fields are {list(JSON_FIELDS)}")
    wrong = [k for k, v in record.items() if v is not None and not isinstance(v, (str, int, float))]
    if wrong:
        return ImportRefused(f"field(s) {wrong} must be text; write each as a string")
    body = str(record.get("body") or "")
    if not body.strip():
        return ImportRefused("has no \"body\"; give the article text in the \"body\" field")
    return Draft(body=body.replace("\r\n", "\n").replace("\r", "\n"),
                 **{k: _one_line(record.get(k)) for k in METADATA_FIELDS})


def _one_line(value: object) -> str | None:
    """A metadata value on one line: control characters and line breaks become spaces."""
    text = " ".join(_SINGLE_LINE.sub(" ", str(value)).split()) if value is not None else ""
    return text or None


# --- article files ------------------------------------------------------------------------------------------

def article_file_text(draft: Draft) -> str:
    """The article file: front matter with only the known fields, each value double-quoted, then the body.

    A body that itself starts with '---' gets an empty front matter block, so it is never read as one.

    >>> print(article_file_text(Draft(body="Text.\\n", title='He said: "no"')), end="")
    ---
    title: "He said: \\"no\\""
    ---
    Text.
    """
    fields = {name: _one_line(value) for name, value in draft.fields().items()}
    lines = [f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in fields.items() if value]
    body = draft.body if draft.body.endswith("\n") else draft.body + "\n"
    if not lines and not body.startswith("---"):
        return body
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


def checked_article(draft: Draft, doc_id: str, name: str) -> tuple[bytes, Article]:
    """The file's bytes and the article the corpus loader reads from them, checked to be the draft.

    Raises:
        ImportRefused: the loader refuses the file (too large, a bad field such as a non-ISO date or
            a URL that is not http(s)), or reads it differently from what was meant.
    """
    raw = article_file_text(draft).encode("utf-8")
    limit = max_article_bytes()
    if len(raw) > limit:
        raise ImportRefused(f"is too large: the article is {len(raw):,} bytes, over the {limit:,}-byte limit for "
                            f"one article; split it, or raise the limit with {MAX_BYTES_VARIABLE}")
    try:
        article = parse_article(raw, doc_id=doc_id, path=name)
    except CorpusError as e:
        raise ImportRefused(e.reason) from e
    wanted = {k: _one_line(v) for k, v in draft.fields().items()}
    got = {k: v for k, v in article.metadata().items() if v}
    if {k: v for k, v in wanted.items() if k != "published"} != {k: v for k, v in got.items() if k != "published"}:
        raise ImportRefused("its metadata does not read back as written; import it as a .md file with front matter")
    return raw, article


def _place(corpus_dir: Path, doc_id: str, raw: bytes) -> Path:
    """Write `raw` to `corpus_dir/doc_id.md` whole or not at all: a hidden temp file, fsynced, then
    linked into place (which fails rather than replace a file that appeared meanwhile)."""
    target = corpus_dir / f"{doc_id}.md"
    temp = corpus_dir / f"{_TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
    try:
        with temp.open("xb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, target)
        except FileExistsError as e:
            raise ImportRefused(f"the article is already in the corpus as {doc_id}; remove it first to import it "
                                f"again") from e
        except OSError:  # a file system without hard links: rename, after checking the name is free
            if target.exists():
                raise ImportRefused(f"the article is already in the corpus as {doc_id}; remove it first to "
                                    f"import it again") from None
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


# --- importing ----------------------------------------------------------------------------------------------

def import_files(sources: Sequence[Source], corpus_dir: Path | str, *, index_dir: Path | str | None = None,
                 update: bool = True, embedder: Embedder | None = None, progress: bool = False,
                 on_stage: Callable[[str], None] | None = None) -> ImportReport:
    """Import articles into `corpus_dir`, one file each, then update the index in `index_dir`.

    Every input gets at least one line in the report: imported (with its new id) or refused (with
    what to do). A refused article writes nothing. When the index update fails, the files this call
    wrote are removed again, so the corpus and the index stay as they were.

    Args:
        sources: file paths, (file name, bytes) pairs or drafts; at most MAX_IMPORT_FILES.
        corpus_dir: the corpus folder (it must exist).
        index_dir: the index to update (default: $QA_INDEX_DIR or .index/).
        update: False writes the files only.
        embedder: the model to embed with (default: one for the index's backend).
        progress: show the update's progress bar on stderr.
        on_stage: told what is being done ("reading and saving 3 files", "indexing 2 new articles").

    Raises:
        CorpusError: the corpus folder is missing.
    """
    tell = on_stage or (lambda stage: None)
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus folder not found; pass --corpus DIR or create it")
    report = ImportReport()
    if len(sources) > MAX_IMPORT_FILES:
        report.lines.append(ImportLine(f"{len(sources)} files", problem=f"more than {MAX_IMPORT_FILES} files at once; "
                                                                         f"import them in smaller groups"))
        return report
    tell(f"reading and saving {len(sources)} {'input' if len(sources) == 1 else 'inputs'}")
    taken_ids, taken_bodies = _corpus_ids(corpus_dir), _indexed_bodies(index_dir)
    written: list[Path] = []
    for source in sources:
        for line, path in _import_one(source, corpus_dir, taken_ids, taken_bodies):
            report.lines.append(line)
            if path is not None:
                written.append(path)
    if update and written:
        tell(f"indexing {len(written)} new {'article' if len(written) == 1 else 'articles'}")
        _update_or_undo(report, written, corpus_dir, index_dir, embedder, progress)
    return report


def _import_one(source: Source, corpus_dir: Path, taken_ids: set[str],
                taken_bodies: dict[str, str]) -> Iterable[tuple[ImportLine, Path | None]]:
    if isinstance(source, Draft):
        name, drafts = PASTED_NAME, [source]
    else:
        name = base_name(source[0]) if isinstance(source, tuple) else Path(source).name
    try:
        if not isinstance(source, Draft):
            name, raw = read_source(source)
            drafts = read_drafts(name, raw)
    except ImportRefused as e:
        yield ImportLine(name or "(no name)", problem=str(e)), None
        return
    for number, draft in enumerate(drafts, start=1):
        label = f"{name} #{number}" if len(drafts) > 1 else name
        try:
            if isinstance(draft, ImportRefused):
                raise draft
            doc_id = article_id(draft, name)
            _refuse_duplicate(draft, doc_id, taken_ids, taken_bodies)
            raw_file, _ = checked_article(draft, doc_id, label)
            path = _place(corpus_dir, doc_id, raw_file)
        except ImportRefused as e:
            yield ImportLine(label, problem=str(e)), None
            continue
        except OSError as e:
            yield ImportLine(label, problem=f"could not be written to {corpus_dir} ({e.strerror}); check that the "
                                            f"folder is writable and has room"), None
            continue
        taken_ids.add(doc_id)
        taken_bodies.setdefault(_body_hash(draft.body), doc_id)
        yield ImportLine(label, doc_id=doc_id), path


def _refuse_duplicate(draft: Draft, doc_id: str, taken_ids: set[str], taken_bodies: dict[str, str]) -> None:
    if doc_id in taken_ids:
        raise ImportRefused(f"the article is already in the corpus as {doc_id}; remove it first to import it again")
    same = taken_bodies.get(_body_hash(draft.body))
    if same is not None:
        raise ImportRefused(f"has the same text as the article {same} already in the corpus; remove that one first "
                            f"to import this version")


def _corpus_ids(corpus_dir: Path) -> set[str]:
    return {doc_id_for(path, corpus_dir) for path in find_article_files(corpus_dir)}


def _indexed_bodies(index_dir: Path | str | None) -> dict[str, str]:
    """The body hashes of the live index's articles, to find an article imported again under another name."""
    from index.store import resolve_index_dir

    version = current_version_path(resolve_index_dir(index_dir))
    if version is None:
        return {}
    try:
        return {_body_hash(a.body): a.doc_id for a in read_articles(version)}
    except (QAError, OSError, ValueError, TypeError, KeyError):
        return {}


def index_settings_for(index_dir: Path) -> IndexSettings:
    """The settings the live index was built with (backend, chunking), so an import never rebuilds it all;
    the defaults where there is no index yet."""
    manifest = read_manifest(index_dir) or milvus_manifest(index_dir) or {}
    backend = manifest.get("model", {}).get("backend")
    try:
        chunking = ChunkSettings(**manifest["chunking"])
    except (KeyError, TypeError, ValueError):
        chunking = ChunkSettings()
    return IndexSettings(chunking=chunking, **({"backend": backend} if backend in BACKENDS else {}))


def milvus_manifest(index_dir: Path) -> dict | None:
    """The Milvus store's manifest row when $QA_STORE names it, else None."""
    store = StoreConfig.from_options()
    return open_store(store, index_dir).meta() if store.kind == "milvus" else None


def _update(corpus_dir: Path, index_dir: Path | str | None, embedder: Embedder | None,
            progress: bool) -> UpdateSummary:
    from index.store import resolve_index_dir

    folder = resolve_index_dir(index_dir)
    settings = index_settings_for(folder)
    if embedder is not None and embedder.backend != settings.backend:
        embedder = None
    store = StoreConfig.from_options()  # $QA_STORE: the Milvus store is updated from the corpus the same way
    if store.kind == "milvus":
        return open_store(store, folder).update(corpus_dir, settings=settings, embedder=embedder, progress=progress)
    return update_index(corpus_dir, folder, settings=settings, embedder=embedder, progress=progress)


def _update_or_undo(report: ImportReport, written: list[Path], corpus_dir: Path, index_dir: Path | str | None,
                    embedder: Embedder | None, progress: bool) -> None:
    try:
        report.summary = _update(corpus_dir, index_dir, embedder, progress)
    except (QAError, ValueError) as e:
        for path in written:
            path.unlink(missing_ok=True)
        report.index_error = f"{e}; nothing was imported"
        report.lines = [line if not line.ok else line._replace(doc_id=None, problem=f"not imported: the index could "
                                                                                     f"not be updated ({e})")
                        for line in report.lines]


# --- removing -----------------------------------------------------------------------------------------------

def check_doc_id(doc_id: str) -> str:
    """`doc_id` if it can name a file inside a corpus folder: relative, no '..', no hidden part.

    Raises:
        ImportRefused: an empty, absolute or escaping id.

    >>> check_doc_id("sub/a-1")
    'sub/a-1'
    """
    parts = doc_id.split("/") if isinstance(doc_id, str) else []
    if (not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or "\\" in doc_id
            or "\x00" in doc_id):
        raise ImportRefused("is not an article id (ids are paths inside the corpus folder without their extension, "
                            "as the article list shows them)")
    return doc_id


def article_files(corpus_dir: Path, doc_id: str) -> list[Path]:
    """The files inside `corpus_dir` that hold the article `doc_id` (one, unless two suffixes share it)."""
    root = corpus_dir.resolve()
    found = []
    for suffix in ARTICLE_SUFFIXES:
        path = corpus_dir / f"{check_doc_id(doc_id)}{suffix}"
        if (path.is_file() or path.is_symlink()) and path.parent.resolve().is_relative_to(root):
            found.append(path)
    return found


def remove_articles(doc_ids: Sequence[str], corpus_dir: Path | str, *, index_dir: Path | str | None = None,
                    update: bool = True, embedder: Embedder | None = None, progress: bool = False,
                    on_stage: Callable[[str], None] | None = None) -> RemoveReport:
    """Delete the files of these articles from `corpus_dir` (never a file outside it), then update the index.

    The files are first moved aside under hidden names; only when the index update succeeds are
    they deleted, else they are put back and `index_error` says why.

    Raises:
        CorpusError: the corpus folder is missing.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus folder not found; pass --corpus DIR or create it")
    report = RemoveReport()
    aside: list[tuple[Path, Path]] = []
    for doc_id in dict.fromkeys(doc_ids):
        try:
            files = article_files(corpus_dir, doc_id)
        except ImportRefused as e:
            report.lines.append(RemoveLine(str(doc_id), str(e)))
            continue
        if not files:
            report.lines.append(RemoveLine(doc_id, f"no article file with this id in {corpus_dir}; "
                                                   f"check the id in the article list"))
            continue
        for path in files:
            moved = path.with_name(f"{_TEMP_PREFIX}{secrets.token_hex(6)}.removed")
            os.replace(path, moved)
            aside.append((path, moved))
        report.lines.append(RemoveLine(doc_id))
    if update and aside:
        if on_stage is not None:
            on_stage(f"updating the index without {len(report.removed)} removed "
                     f"{'article' if len(report.removed) == 1 else 'articles'}")
        try:
            report.summary = _update(corpus_dir, index_dir, embedder, progress)
        except (QAError, ValueError) as e:
            for path, moved in aside:
                os.replace(moved, path)
            report.index_error = f"{e}; nothing was removed"
            report.lines = [line if not line.ok else line._replace(problem=f"not removed: the index could not be "
                                                                           f"updated ({e})") for line in report.lines]
            return report
    for _, moved in aside:
        moved.unlink(missing_ok=True)
    return report
