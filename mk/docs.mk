# Docs that cannot rot: the README's and the labs' commands run in throw-away copies of the
# repository, every repository link resolves, every Mermaid diagram parses (docs/labs/README.md).

.PHONY: docs-tools test-docs validate-docs

DOC_TOOLS := tests/docs/mermaid

$(DOC_TOOLS)/node_modules/.package-lock.json: $(DOC_TOOLS)/package.json $(DOC_TOOLS)/package-lock.json
	npm ci --prefix $(DOC_TOOLS) --no-audit --no-fund

docs-tools: $(DOC_TOOLS)/node_modules/.package-lock.json # Mermaid's parser from npm (Node + jsdom, no browser) for the diagram tests

# `make tools` (what .ci/run and CONTRIBUTING call) installs it with the other Node validators.
tools: docs-tools

# validate-docs runs the link and diagram tests (in `make validate`); test-docs the rest.
# Each doc runs in its own copy with its own ports, so several run at once, one per core
# (pytest-xdist, --dist=load: the docs are items of one test file). Most of a lab's time is
# spent waiting for its servers, a scrape or an alert.
DOCS_PARALLEL ?= --numprocesses=auto --maxprocesses=4 --dist=load

##@ test

test-docs: setup docs-tools ## run every command of the README and the labs, each doc in a throw-away copy
	$(PY) -m pytest -p no:cacheprovider $(DOCS_PARALLEL) tests/docs \
		--ignore=tests/docs/test_doc_links.py --ignore=tests/docs/test_diagrams.py

validate-docs: setup docs-tools # every repository link in the Markdown resolves, every make target named exists, every Mermaid diagram parses
	$(PY) -m pytest -p no:cacheprovider -q tests/docs/test_doc_links.py tests/docs/test_diagrams.py
