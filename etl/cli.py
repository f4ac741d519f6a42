"""`python -m etl`: template, load, demo, undo. Exit codes: 0 accepted, 1 rejected, 2 usage error."""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from pathlib import Path

from etl.reference import Reference
from isc.db.connection import db_path
from isc.periods import Period


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl", description="ISC monitoring dashboard ETL.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("template", help="write a theme-report template workbook")
    t.add_argument("--theme", required=True, help="theme code or name, e.g. CLIM")
    t.add_argument("--period", required=True, help="quarter, e.g. 2025-Q3")
    t.add_argument("--sector", required=True, help="ITU-R, ITU-T, ITU-D, GS or RO")
    t.add_argument("--out", required=True, help="the .xlsx file to write")
    t.add_argument("--db", help="pre-fill from the latest report in this database (default: none)")
    t.add_argument("--lang", default="en",
                   help="language of the template's texts and dropdown values: en (default) or fr; "
                   "sheet names and column headers stay in English")

    ld = sub.add_parser("load", help="validate and load theme-report workbooks")
    ld.add_argument("files", nargs="+")
    ld.add_argument("--db", help="database file (default $ISC_DB or data/isc.duckdb)")
    ld.add_argument("--json", action="store_true", help="print a machine-readable result")
    ld.add_argument("--user", default="local", help="who is loading (recorded in history)")

    d = sub.add_parser("demo", help="build the demo database from generated illustrative workbooks")
    d.add_argument("--db")
    d.add_argument("--keep-workbooks", metavar="DIR", help="also keep the generated workbooks here")

    u = sub.add_parser("undo", help="undo an upload: the previous report for that key is live again")
    u.add_argument("upload_id", type=int)
    u.add_argument("--db")
    u.add_argument("--user", default="local")

    sub.add_parser("init", help="create or migrate the database and refresh reference data").add_argument("--db")

    b = sub.add_parser("backup", help="back up the database and the stored original files")
    b.add_argument("--out", required=True, help="a .tar.gz file, or a folder for a dated one")
    b.add_argument("--db")
    r = sub.add_parser("restore", help="restore a backup made by `backup` (checks every checksum)")
    r.add_argument("archive")
    r.add_argument("--db")
    return p


def _theme_code(ref: Reference, text: str) -> str | None:
    for code, name in ref.reportable_themes.items():
        if text.strip().casefold() in (code.casefold(), name.casefold()):
            return code
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "template":
        return _template(args)
    if args.command == "load":
        return _load(args)
    if args.command == "demo":
        from etl.demo import build_demo

        out = build_demo(args.db, workdir=args.keep_workbooks)
        print(f"demo database {db_path(args.db)}: {len(out)} illustrative uploads loaded")
        return 0
    if args.command == "undo":
        from etl.load import undo

        try:
            version = undo(args.upload_id, db=args.db, actor=args.user)
        except (LookupError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"upload #{args.upload_id} undone (data version {version})")
        return 0
    if args.command in ("backup", "restore"):
        from isc import backup

        if args.command == "backup":
            print(f"backup written to {backup.backup(args.out, args.db)}")
            return 0
        try:
            info = backup.restore(args.archive, args.db)
        except (ValueError, OSError, tarfile.TarError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"restored {db_path(args.db)} to data version {info['data_version']} "
              f"({info['files']} files, backup of {info['created']})")
        return 0
    if args.command == "init":
        from etl.load import init_db

        init_db(args.db)
        print(f"database {db_path(args.db)} ready")
        return 0
    return 2


def _template(args) -> int:
    from etl.template import write_template
    from isc import i18n

    ref = Reference.load()
    theme = _theme_code(ref, args.theme)
    errors = []
    if theme is None:
        errors.append(f"unknown theme {args.theme!r}; choose from: {', '.join(ref.reportable_themes)}")
    try:
        period = str(Period.parse(args.period))
    except ValueError as exc:
        errors.append(str(exc))
    if args.sector not in ref.sector_codes:
        errors.append(f"unknown sector {args.sector!r}; choose from: {', '.join(ref.sector_codes)}")
    if i18n.supported(args.lang) != args.lang:
        errors.append(f"unknown language {args.lang!r}; choose from: {', '.join(i18n.languages())}")
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        return 2
    prefill = None
    if args.db:
        from isc.db import uploads

        prefill = uploads.prefill_report(theme, period, args.sector, db=args.db)
    path = write_template(args.out, ref, theme, period, args.sector, prefill, lang=args.lang)
    print(f"wrote {path}" + (" (pre-filled from the previous report)" if prefill else ""))
    return 0


def _load(args) -> int:
    from etl.service import load_files

    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    outcomes = load_files(args.files, db=args.db, uploaded_by=args.user)
    if args.json:
        print(json.dumps({"db": str(db_path(args.db)), "files": [o.to_dict() for o in outcomes],
                          "accepted": all(o.accepted for o in outcomes)}, default=str, indent=2))
    else:
        for o in outcomes:
            print(f"{o.file_name}: {o.outcome.upper()} - {o.message}")
            for issue in o.errors + o.warnings:
                where = issue["sheet"] + (f"!{issue['cell']}" if issue["cell"] else
                                          f" row {issue['row']}" if issue["row"] else "")
                print(f"  {issue['severity']:7} {where}: {issue['message']}"
                      + (f" (found {issue['value']!r}; expected {issue['expected']})" if issue["value"] or issue["expected"] else "")
                      + (f" -> {issue['fix']}" if issue["fix"] else ""))
    return 0 if all(o.accepted for o in outcomes) else 1
