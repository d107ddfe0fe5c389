"""Browser tests: pages a person opens, in a real headless Chromium driven by selenium.

`make test-browser` runs them (the full tier). Two fixtures serve every page test here:

- `browser`: a fresh headless Chromium with an empty profile of its own, quit after the test.
  Wait for what the page shows with WebDriverWait and a condition, never with a sleep.
- `screenshot`: `screenshot("name")` saves what the browser shows to build/screenshots/name.png,
  which CI keeps as an artifact, so a reviewer can see the page the test saw.

The browser and its driver are CHROME_BINARY and CHROMEDRIVER, by default Debian's chromium and
chromium-driver (`make system-deps-browser`); GitHub's runners point them at their preinstalled
Google Chrome and its chromedriver. Selenium Manager, which would download a browser and a
driver of its own, never runs: selenium skips it when the Service names the driver.
"""

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.helpers import ROOT, missing

SCREENSHOTS = ROOT / "build" / "screenshots"
CHROME_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, and Chromium's sandbox refuses root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a container's /dev/shm is too small for Chromium
    # No traffic of Chromium's own (updates, sync, field trials): the page's are the only requests.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1024",
)


def installed(variable: str, default: str) -> str:
    """The program $variable names (else `default`); missing, it skips (fails under CI)."""
    path = os.environ.get(variable) or default
    if not os.access(path, os.X_OK):
        missing(f"{path} not found: run `make system-deps-browser`, or set {variable}")
    return path


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = installed("CHROME_BINARY", "/usr/bin/chromium")
    for argument in CHROME_ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = Service(executable_path=installed("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser):
    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"no screenshot written to {path}"
        return path

    return save
