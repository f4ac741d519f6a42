"""No formula out of any download (issue 18): text a spreadsheet would run (=cmd|..., =HYPERLINK,
@SUM, +1+1, a leading tab) is neutralised in the data behind every table on the pages (what
Streamlit's own "Download as CSV" and clipboard copy take) and in the app's own exports; numbers,
negative ones included, stay numbers. Markdown images in uploaded text show as text.

A report whose every free-text field carries a formula payload is loaded through the real path
(the workbook stores the payloads as text cells, as a focal point's Excel would), then each page
is run (AppTest, every data-table switch turned on) and every st.dataframe's data is checked.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from etl.load import load_bytes
from isc import export
from pages.common import md, sheet_safe, sheet_safe_frame
from tests import workbooks as W
from tests.conftest import ROOT

PAYLOADS = ["=cmd|' /C calc'!A0", '=HYPERLINK("https://evil.example","x")', "@SUM(1)", "+1+1", "-2+3", "\t=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PAGES = ["overview", "themes", "tracks", "sectors", "resolutions", "completeness", "overlaps", "history"]


def _live(value) -> bool:
    """A cell a spreadsheet would run as a formula."""
    if isinstance(value, list | tuple):
        return any(map(_live, value))
    return isinstance(value, str) and value.startswith(TRIGGERS) and sheet_safe(value) != value


def hostile_bytes() -> bytes:
    rep = W.report(n_activities=len(PAYLOADS), summary=PAYLOADS[0])
    rep.header["prepared_by"] = PAYLOADS[1]
    for a, p in zip(rep.activities, PAYLOADS, strict=True):
        a.update(title=p, description=p, result=p)
    for r in rep.results:
        r.update(title=PAYLOADS[2], description=PAYLOADS[3])
    for r in rep.risks:
        r.update(description=PAYLOADS[4], mitigation=PAYLOADS[5], owner=PAYLOADS[0])
    for k, i in enumerate(rep.indicators):  # distinct names: two alike break the Themes page (isc.charts)
        i.update(name=f"{PAYLOADS[1]}{k}", comment=PAYLOADS[2])
    wb = W.workbook(rep)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and str(cell.value).startswith(tuple(PAYLOADS)):
                    cell.data_type = "s"  # typed text, not a formula
    return W.to_bytes(wb)


@pytest.fixture
def hostile_db(empty_db):
    out = load_bytes(hostile_bytes(), "hostile.xlsx", db=empty_db)
    assert out.outcome == "loaded", out.errors[:3]
    return empty_db


def test_sheet_safe_neutralises_text_only():
    for p in PAYLOADS:
        assert sheet_safe(p) == "'" + p
    for number in ("-5", "+3", "-12.5%", "1,200", "-0.5e3"):
        assert sheet_safe(number) == number
    assert sheet_safe(-5) == -5 and sheet_safe(None) is None
    df = pd.DataFrame({"text": PAYLOADS, "n": range(-3, 3), "l": [[p] for p in PAYLOADS]})
    safe = sheet_safe_frame(df)
    assert not any(_live(v) for col in safe.columns for v in safe[col])
    assert safe["n"].tolist() == list(range(-3, 3))
    assert df["text"].tolist() == PAYLOADS  # the original is untouched


def test_every_table_on_every_page_is_neutralised(hostile_db):
    tables = 0
    for name in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
        at.run()
        at.switch_page(f"pages/{name}.py").run()
        at.selectbox(key="filter_period").set_value(W.PERIOD).run()
        if name == "themes":
            at.selectbox(key="filter_theme").set_value(W.THEME).run()
        for toggle in at.toggle:  # every chart's data table
            toggle.set_value(True)
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
        for frame in at.dataframe:
            df = frame.value
            tables += 1
            bad = [(c, v) for c in df.columns for v in df[c] if _live(v)]
            assert not bad, (name, bad[:3])
    assert tables >= 10
    # the payloads are there, neutralised, on the Themes page (activities, results, risks)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/themes.py").run()
    at.selectbox(key="filter_period").set_value(W.PERIOD).run()
    at.selectbox(key="filter_theme").set_value(W.THEME).run()
    shown = {v for frame in at.dataframe for c in frame.value.columns for v in frame.value[c] if isinstance(v, str)}
    assert {"'" + p.strip() for p in PAYLOADS if p != PAYLOADS[1]} <= shown  # (the reader trims the tab)


def test_the_apps_own_exports_carry_no_formula():
    df = pd.DataFrame({"title": PAYLOADS, "value": [-1.5, 2, -3, 4, 5, -6]})
    rows = list(csv.reader(io.StringIO(export.table_csv(df).decode("utf-8-sig"))))
    assert not [v for row in rows[1:] for v in row[:1] if v.startswith(TRIGGERS) and not v.startswith("'")]
    assert [row[1] for row in rows[1:]] == ["-1.5", "2.0", "-3.0", "4.0", "5.0", "-6.0"]
    ws = load_workbook(io.BytesIO(export.table_xlsx(df))).active
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[0].value.startswith("'"), row[0].value
        assert isinstance(row[1].value, int | float)


def test_markdown_images_in_user_text_show_as_text():
    for text in ("![x](http://evil.example/p.png)", "![x][1]\n\n[1]: http://evil.example/p.png",
                 "<img src=http://evil.example/p.png>"):
        out = md(text)  # every bracket, "<" and the "!" of an image escaped: shown as typed
        assert not re.search(r"(?<!\\)[\[\]<>]|(?<!\\)!\\?\[", out), out
