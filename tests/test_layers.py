"""Layers: SQL lives in isc/db/ only (the import contracts are in pyproject.toml, checked by
`lint-imports` in .ci/run).

Every Python source of isc/, etl/, pages/ and dashboard.py outside isc/db/ is parsed, and its
string literals (f-strings too; docstrings aside) are searched for SQL statements and SQL
fragments, its calls for a connection's execute/sql. One found names its file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("isc", "etl", "pages", "dashboard.py")
SQL_HOME = ROOT / "isc" / "db"

# Upper-case keywords only, as the code writes SQL: English text ("select a theme from ...") is not SQL.
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b"
    r"|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(?:CREATE|DROP|ALTER)\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?(?:TABLE|VIEW|INDEX|MACRO|SEQUENCE|SCHEMA)\b"
    r"|\bCASE\s+WHEN\b[\s\S]*\bTHEN\b"
    r"|^\s*(?:CHECKPOINT|BEGIN(?:\s+TRANSACTION)?|COMMIT|ROLLBACK)\s*;?\s*$"
    r"|\bCOPY\s+[\w(]+[\s\S]*\b(?:FROM|TO)\s+'|\bATTACH\s+'"
)
RUNS_SQL = {"execute", "executemany", "sql", "query"}  # a DuckDB connection's methods that run SQL


def sources(roots=SOURCES) -> list[Path]:
    out = []
    for name in roots:
        path = ROOT / name
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [p for p in out if SQL_HOME not in p.parents]


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def sql_in(path: Path, text: str | None = None) -> list[str]:
    """Where `path` (or `text` as if it were that file) writes or runs SQL: 'file:line: what'."""
    text = path.read_text(encoding="utf-8") if text is None else text
    tree = ast.parse(text, filename=str(path))
    docs = _docstrings(tree)
    rel = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, with {} where values go
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in RUNS_SQL and node.args
              and isinstance(node.args[0], ast.Constant | ast.JoinedStr | ast.Name | ast.BinOp)):  # fmt: skip
            found.append(f"{rel}:{node.lineno}: .{node.func.attr}(...) runs SQL")
            continue
        else:
            continue
        m = SQL.search(text)
        if m:
            found.append(f"{rel}:{node.lineno}: {' '.join(m.group(0).split())[:60]!r}")
    return sorted(set(found))


def test_sql_is_written_and_run_only_under_isc_db():
    found = [hit for path in sources() for hit in sql_in(path)]
    assert not found, "SQL outside isc/db/ (move it into a function of isc/db/):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'rows = con.execute("SELECT code, name FROM theme").fetchall()\n',
        'sql = f"""SELECT * FROM report WHERE period = {period!r}"""\n',
        'STMT = "DELETE FROM upload WHERE id = ?"\n',
        'bad = "UPDATE theme SET name = ?"\n',
        'expr = f"CASE WHEN {col} IS NULL THEN 0 ELSE 1 END"\n',
        'connection.read().sql(query)\n',
        'con.cursor().execute("COMMIT")\n',
        'STEP = "CHECKPOINT"\n',
    ],
)
def test_sql_added_to_a_page_is_found(code):
    assert sql_in(ROOT / "pages" / "overview.py", code), code


def test_plain_text_is_not_sql():
    text = ('"""SELECT a theme FROM the list."""\n'
            'msg = "Select a period from the sidebar, then update the settings; COMMIT to it."\n')
    assert sql_in(ROOT / "pages" / "overview.py", text) == []
