"""Screenshots the browser tests take: kept under the test's tmp_path, and written into docs/ only
when asked (QA_WRITE_DOCS=1), to retake a README picture; a test never writes into the repository
otherwise."""
from __future__ import annotations

import os
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def save_screenshot(page, name: str, tmp_path: Path) -> Path:
    """A full-page PNG of `page` as NAME: docs/NAME with QA_WRITE_DOCS=1, else tmp_path/NAME."""
    folder = DOCS if os.environ.get("QA_WRITE_DOCS") == "1" else tmp_path
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path
