"""Read, validate and load ISC theme-report workbooks into DuckDB (`python -m etl --help`)."""
