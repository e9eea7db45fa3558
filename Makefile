.PHONY: run test setup lint demo clean

run:  ## set up, migrate, load the demo province if empty, serve http://127.0.0.1:8000
	scripts/run.sh

test:  ## install test needs, lint, run the whole suite on SQLite and PostgreSQL
	scripts/test.sh

setup:
	scripts/setup.sh test

lint:
	.venv/bin/ruff check src tests benchmarks

clean:
	rm -rf .venv var/vendor
