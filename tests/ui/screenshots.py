"""Screenshots the browser tests take for the docs: written only when asked for.

`QA_SCREENSHOT_DIR=docs .venv/bin/python -m pytest tests/ui` retakes the README's pictures into
docs/; without the variable a screenshot goes under the test's tmp_path (when it has one) or
nowhere, so a test never writes into the repository on its own.
"""
from __future__ import annotations

import os
from pathlib import Path

SCREENSHOT_VARIABLE = "QA_SCREENSHOT_DIR"


def save_screenshot(page, name: str, tmp_path: Path | None = None, *, element: str | None = None) -> Path | None:
    """A PNG of the page (full page) or of one element (CSS selector) as NAME.png in
    $QA_SCREENSHOT_DIR, else in tmp_path; None when neither is given."""
    folder = os.environ.get(SCREENSHOT_VARIABLE) or tmp_path
    if not folder:
        return None
    path = Path(folder) / (name if name.endswith(".png") else f"{name}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    target = page.locator(element).first if element else page
    target.screenshot(path=str(path), **({} if element else {"full_page": True}))
    return path
