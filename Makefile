# Masar: `make run` serves the demo, `make test` runs the whole suite. Nothing else to install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-dates lint translations check-translations compile-translations migrate-check demo clean bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Compiled catalogues (.mo) are build products; the .po files are committed.
compile-translations: $(STAMP)
	@$(BIN)/pybabel -q compile -d translations

run: $(STAMP) compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo ""
	@echo "  Masar is starting on http://127.0.0.1:$(PORT)"
	@echo "  Demo logins (username, password, TOTP secret): instance/demo-accounts.json"
	@echo "  Print a current code: $(BIN)/python -m referral.tools.totp_code USERNAME"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(STAMP) compile-translations
	$(BIN)/python -m pytest

test-fast: $(STAMP) compile-translations
	$(BIN)/python -m pytest -m "not slow and not browser and not postgres"

# The date-sensitive tests (SLA limits, sweep, statistics, dashboard, nudges) once more at each of the
# hard instants of tests/clock.py: a date assumption fails on the day it is written, not weeks later.
DATE_TESTS ?= tests/workflows/test_sla.py tests/jobs/test_sweep.py tests/web/test_sla_policies.py \
	tests/services/test_metrics.py tests/stats/test_daily_stats.py tests/web/test_dashboard.py tests/services/test_nudges.py \
	tests/workflows/test_engine.py tests/workflows/test_calendar_properties.py tests/workflows/test_calendar.py
HARD_DATES ?= saturday holiday-eve ramadan-clock-change

test-dates: $(STAMP) compile-translations
	@set -e; for instant in $(HARD_DATES); do \
		echo "== date-sensitive tests at $$instant =="; \
		MASAR_TEST_CLOCK=$$instant $(BIN)/python -m pytest -q --durations=3 -m "not browser" $(DATE_TESTS); \
	done

lint: $(STAMP)
	$(BIN)/ruff check .

# Extract new strings and merge them into the catalogues; translate, then commit the .po files.
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

check-translations: $(STAMP)
	$(BIN)/python -m pytest tests/test_i18n_translations.py -q

demo: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/masar.sqlite instance/demo-accounts.json
