# Two commands matter: `make serve` (authors) and `make test` (CI). Both set up
# everything they need first; when all is in place, setup costs well under 2 s.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MKDOCS := $(VENV)/bin/mkdocs
HOST ?= 127.0.0.1
PORT ?= 8000

# Material and ProperDocs each print a large banner about MkDocs 2 on every run;
# these are the two documented switches. Silenced on purpose so real warnings show.
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true
# Never let uv fetch an interpreter: we use the machine's python3.
export UV_PYTHON_DOWNLOADS := never
# Reproducible builds: MkDocs dates the sitemap (and its gzip header) from SOURCE_DATE_EPOCH, so
# take it from the last commit, not the clock. Left unset outside a git checkout.
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git -c safe.directory='$(CURDIR)' log -1 --format=%ct 2>/dev/null)
endif
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

# node and zstd: the build boots the "Try it in your browser" VM once under Node.js and compresses
# its saved state (sitebuild/vm/browser_vm.py); gcc, ld, make, flex, bison, bc and xz build its kernel
# from Debian's source (sitebuild/vm/browser_vm_kernel.py). Later builds reuse both from the cache.
SYSTEM_TOOLS_BUILD := venv dot node zstd gcc ld make flex bison bc xz
# pgrep (procps): the lab tests run it, and it is not on every Debian machine.
SYSTEM_TOOLS_TEST := $(SYSTEM_TOOLS_BUILD) git chromium firefox-esr java busybox node npm ip \
	qemu-system-x86_64 pgrep

.PHONY: help setup setup-test serve build build-zensical compare-zensical test test-fast linkcheck lint format clean lock bench

help:
	@echo "make serve   set up, then serve the site with live reload on http://$(HOST):$(PORT)"
	@echo "make test    set up, then build strictly and run every check"
	@echo "make test-fast  the checks that need no root, VM, browser or site build (any user, ~30 s)"
	@echo "make labs    run every lab of the See it yourself page for real (as root)"
	@echo "make build   strict build into site/"
	@echo "make build-zensical  the same site built by Zensical into site-zensical/ (a check, not published)"
	@echo "make compare-zensical  build both ways and compare (known differences listed with reasons)"
	@echo "make figure NAME=patching  render one figure (all without NAME) and print its path"
	@echo "make linkcheck  check every external link and quoted source (weekly in CI; skips without network)"
	@echo "make bench   measure build, reload and page-load speed and size against the budgets"
	@echo "make clean   remove site/, caches and .venv"

setup: $(VENV)/.installed
	@sitebuild/setup/system_deps.sh $(SYSTEM_TOOLS_BUILD)

setup-test: setup $(VENV)/.installed-test $(VENV)/.installed-zensical node_modules/.installed .cache/guest/.fetched
	@sitebuild/setup/system_deps.sh $(SYSTEM_TOOLS_TEST)

# The VM labs' guest: Debian packages pinned in sitebuild/vm/guest.lock.json, downloaded once into
# a cache outside the clone (~/.cache/containers-vs-vms/guest, see sitebuild/vm/guest.py) and verified
# by sha256 (again whenever the lock changes), so a second clone on the same machine downloads
# nothing. The stamp below only says this clone has checked them.
.cache/guest/.fetched: sitebuild/vm/guest.lock.json sitebuild/vm/guest.py sitebuild/files.py | $(VENV)/.installed
	$(PY) -m sitebuild.vm.guest --fetch
	@mkdir -p $(@D) && touch $@

# Re-pin the guest packages to the newest in Debian's archive, and every file that names a pin.
.PHONY: guest-lock
guest-lock: setup
	$(PY) -m sitebuild.vm.guest --refresh

# Node tools from npm are test tools only (HTML checker, axe, Lighthouse, ESLint). The site's build
# runs Node itself (to save the browser VM's state) but installs nothing from npm: v86 is fetched
# and verified from sitebuild/vm/browser_vm.lock.toml.
# --ignore-scripts: vnu-jar's postinstall would try to download a Java runtime; we use Debian's.
node_modules/.installed: package-lock.json
	@sitebuild/setup/system_deps.sh node npm
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# Re-run only when the lock changes. The .pth file puts the repository on the
# venv's import path so mkdocs-gen-files scripts and tests import `sitebuild`.
$(VENV)/.installed: requirements.lock
	@sitebuild/setup/system_deps.sh venv
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@echo "$(CURDIR)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/vm_vs_container_repo.pth"
	@touch $@

# The test tools (pytest, Playwright, ruff, uv, zizmor, lychee) on top of the site's packages;
# their lock holds the site's packages at the same versions, so this only adds.
$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-test.lock
	@touch $@

# Zensical, the second builder (make build-zensical), into the same venv: it must run our Markdown
# extensions with the very packages MkDocs runs them with, and its lock holds every shared package
# at the test lock's version, so this only adds zensical and its two own dependencies.
$(VENV)/.installed-zensical: requirements-zensical.lock $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-zensical.lock
	@touch $@

serve: setup
	$(MKDOCS) serve --livereload --dev-addr $(HOST):$(PORT)

build: setup
	$(MKDOCS) build --strict

# The same sources built by Zensical, which runs no MkDocs plugin or hook: the generated files come
# from sitebuild/generate.py first (sitebuild/zensical/build.py). A check, never published; the
# test tests/site/test_zensical.py compares it with the MkDocs build.
build-zensical: setup $(VENV)/.installed-zensical
	$(PY) -m sitebuild.zensical.build

# Both builds compared (a strict MkDocs build into a temporary folder): fails on any difference
# sitebuild/zensical/compare.py does not list with its reason, and prints counts of each check.
compare-zensical: build-zensical $(VENV)/.installed-test
	$(PY) -m sitebuild.zensical.compare

# Lint first (seconds), then pytest, so the site-checks summary is the last thing printed.
test: setup-test lint
	$(PY) -m pytest

# Authors' quick lane: every test but those marked root, vm, browser or slow (pyproject.toml; the
# guard in tests/conftest.py keeps the markers honest), and one line saying what it left out.
# Runs as any user: it uses the setup already made (installing Debian packages needs root) and
# only says what to run when that setup is missing or out of date. Exit 5 (no test selected)
# fails like any other: a lane that checks nothing must not look green. PYTEST_ARGS=-x (say) adds
# options.
FAST_TESTS := not root and not vm and not browser and not slow
SETUP_TEST_DONE := $(VENV)/.installed $(VENV)/.installed-test $(VENV)/.installed-zensical node_modules/.installed .cache/guest/.fetched
test-fast:
	@$(MAKE) --no-print-directory -q $(SETUP_TEST_DONE) 2>/dev/null || { \
		echo "make test-fast: the test setup is missing or out of date; run 'make setup-test' first (it uses sudo for missing Debian packages)" >&2; exit 2; }
	@$(PY) -m pytest -m "$(FAST_TESTS)" $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test-fast: no test selected (pytest exit 5)" >&2; fi; exit $$status

# Every external URL on the site, politely (timeouts, retries, per-host rate limit, a cache in
# .cache/linkcheck), and every footnote's quoted words in its source; pages not checked for six
# months. Not in `make test`: the web changes without our commits, so CI runs this weekly.
# With no network it prints one line and checks only the dates. REPORT=FILE also writes it all
# as Markdown, for the weekly GitHub issue (sitebuild/checks/weekly_issue.py).
linkcheck: setup $(VENV)/.installed-test
	@$(PY) -m sitebuild.checks.linkcheck $(if $(REPORT),--report "$(REPORT)")

# ESLint (pinned in package.json) for the JavaScript: the page's scripts and the Node ones.
lint: setup $(VENV)/.installed-test node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node_modules/.bin/eslint --max-warnings 0 .

format: setup $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the hashed locks from pyproject.toml for the oldest Python we support
# (Debian 12's 3.11.2), so the same locks install on a bare Debian machine. The site's lock
# first; the test lock is constrained to it, so both agree on every package they share.
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11.2 \
	--python-platform x86_64-unknown-linux-gnu --no-header --custom-compile-command "make lock"
lock: setup $(VENV)/.installed-test
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --group test -c requirements.lock -o requirements-test.lock
	$(UV_COMPILE) --group zensical -c requirements-test.lock -o requirements-zensical.lock

# One figure, to look at while drawing it: `make figure NAME=patching` renders
# diagrams/patching.py through the same pipeline as the build and prints the SVG's path.
.PHONY: figure
figure: setup
	@$(PY) -m sitebuild.figures $(NAME)

# Not part of `make test`: timings are reported against budgets (bench/budgets.py), never asserted.
# nginx serves the built site compressed, as GitHub Pages does; results land in bench/results.json.
# BENCH=scale (or any of builds,edits,figures,pages,lighthouse,scale) runs only those stages.
bench: setup-test
	@sitebuild/setup/system_deps.sh nginx
	BENCH="$(BENCH)" $(PY) -m bench.run

clean:
	rm -rf site site-zensical _zensical zensical.gen.yml .cache .pytest_cache .ruff_cache $(VENV)

# The labs of the "See it yourself" page, run for real: as root (`sudo make labs`), with the
# machine's python3, since they need only the standard library. Runs all, fails if any failed.
LABS := $(basename $(notdir $(wildcard scripts/*.py)))
.PHONY: labs
labs:
	@debs="$$(python3 -c 'from sitebuild.vm.guest import cache_dir; print(cache_dir() / "debs")')"; \
	failed=""; for lab in $(LABS); do \
		echo "=== python3 scripts/$$lab.py"; \
		VM_LAB_CACHE="$$debs" python3 scripts/$$lab.py || failed="$$failed $$lab"; \
		echo; \
	done; \
	if [ -n "$$failed" ]; then echo "make labs: failed:$$failed"; exit 1; fi; \
	echo "make labs: all $(words $(LABS)) labs held"
