"""Core of the ISC monitoring dashboard: periods, status rule, database, charts.

`etl/` reads, validates and loads workbooks; `pages/` show what this package computes.
"""
