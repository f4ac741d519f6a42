"""The database layer: every SQL statement of the project lives in this package.

`schema` creates and migrates the DuckDB file, `connection` opens it safely across processes,
`writes` loads reports and reference data, `queries` answers the pages. Pages and the ETL call
these functions and never write SQL of their own.
"""

from isc.db.connection import DEFAULT_DB, db_path, fingerprint, read, write
from isc.db.schema import SCHEMA_VERSION, ensure_schema

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "db_path", "ensure_schema", "fingerprint", "read", "write"]
