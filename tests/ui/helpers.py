"""Helpers the browser tests share: a screenshot for the docs, taken only when asked for.

Tests never write into the repository on their own: `QA_SCREENSHOT_DIR=docs` (a folder) makes
`save_screenshot` write there; without it the call does nothing.
"""
from __future__ import annotations

import os
from pathlib import Path

SCREENSHOT_VARIABLE = "QA_SCREENSHOT_DIR"


def save_screenshot(page, name: str, *, element: str | None = None) -> Path | None:
    """Save a PNG of the page (or of one element, by CSS selector) as NAME.png in $QA_SCREENSHOT_DIR.

    Returns the path written, or None when the variable is not set.
    """
    folder = os.environ.get(SCREENSHOT_VARIABLE)
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    target = page.locator(element).first if element else page
    target.screenshot(path=str(path), **({} if element else {"full_page": True}))
    return path
