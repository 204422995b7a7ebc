"""The production journey drives the same headless Chromium as the browser tests."""

from tests.browser.conftest import browser  # noqa: F401 (fixture)
