# Browser tests: the pages a person opens, in a real headless Chromium driven by selenium.

.PHONY: test-browser system-deps-browser

# Debian's browser and the chromedriver built from the same source, so their versions always
# match. tests/browser/conftest.py looks for them where these packages put them.
BROWSER_PACKAGES ?= chromium chromium-driver

##@ test

test-browser: setup ## pages in headless Chromium: Swagger UI's "Try it out", the MLflow UI's runs; screenshots in build/screenshots/
	$(PY) -m pytest -p no:cacheprovider tests/browser

system-deps-browser: # apt packages for the browser tests (chromium, chromedriver); needs root or sudo
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES)
