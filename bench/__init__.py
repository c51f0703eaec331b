"""Benchmarks: `python -m bench.run` measures the app against a bare Flask hello world;
`python -m bench.survey` measures members answering the survey, on SQLite and PostgreSQL."""
