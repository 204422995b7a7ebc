"""The production journey runs only in the production stage (scripts/test-production sets
PRODUCTION_URL); elsewhere it is not collected, whatever -m says. It drives the same headless
Chromium as the browser tests."""

import os

from tests.browser.conftest import browser  # noqa: F401 (fixture)

collect_ignore_glob = [] if os.environ.get("PRODUCTION_URL") else ["test_*.py"]
