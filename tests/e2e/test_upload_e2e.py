"""The real upload widget in Chromium: download the template, upload a faulty file, download it
annotated, upload a good file, preview, Load, then Undo from the history (which also leaves
the shared server's data as it was for the other e2e tests).

Screenshots: tests/artifacts/screenshots/upload_*.png.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from etl.reference import Reference
from tests import workbooks as W
from tests.e2e.conftest import open_page, shoot, wait_idle
from tests.test_annotate import highlighted

pytestmark = pytest.mark.e2e
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
REF = Reference.load()


def _download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    return open(info.value.path(), "rb").read()


def test_upload_through_the_page_in_chromium(server, page, tmp_path):
    open_page(page, server.url, "upload")
    assert page.get_by_text("Sign-in is not configured: uploads are recorded as 'local'").is_visible()

    template = _download(page, "Download the template")
    wb = load_workbook(io.BytesIO(template))
    assert wb.sheetnames[:3] == ["Instructions", "Report", "Activities"]
    assert wb["Report"]["A1"].value == "Template version"

    bad = W.workbook()
    W.set_cell(bad, "Activities", "percent_complete", 3, 140)
    W.set_cell(bad, "Indicators", "actual", 2, "lots")
    W.set_cell(bad, "Activities", "start_date", 4, "someday")
    bad_path = W.save(bad, tmp_path / "faulty.xlsx")
    page.locator(FILE_INPUT).set_input_files(str(bad_path))
    wait_idle(page)
    page.get_by_text("3 error(s)").first.wait_for()
    shoot(page, "upload_errors")
    annotated = _download(page, "Download your file with the problems marked")
    marked = highlighted(annotated)
    assert {cell for (_, cell), kind in marked.items() if kind == "error"} == {
        W.cell("Activities", "percent_complete", 3),
        W.cell("Indicators", "actual", 2),
        W.cell("Activities", "start_date", 4),
    }
    assert load_workbook(io.BytesIO(annotated)).sheetnames[0] == "Problems"
    assert page.get_by_role("button", name="Load faulty.xlsx").count() == 0

    good = W.workbook()
    W.set_cell(good, "Indicators", "actual", 2, 7)
    good_path = W.save(good, tmp_path / "fixed.xlsx")
    page.locator(FILE_INPUT).set_input_files(str(good_path))
    wait_idle(page)
    load_button = page.get_by_role("button", name="Load fixed.xlsx")
    load_button.wait_for()
    assert page.get_by_text("What loading this file changes").is_visible()
    shoot(page, "upload_preview", full_page=True)
    load_button.click()
    wait_idle(page)
    page.get_by_text("Loaded: loaded as upload #").wait_for()
    shoot(page, "upload_loaded")

    open_page(page, server.url, "history")
    undo = page.get_by_role("button", name="Undo upload #")
    undo.wait_for()
    upload_id = re.search(r"#(\d+)", undo.inner_text())[1]
    undo.click()
    wait_idle(page)
    page.get_by_role("button", name=f"Yes, undo upload #{upload_id}").click()  # undo asks first
    wait_idle(page)
    page.get_by_text(f"Upload #{upload_id} undone").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    shoot(page, "upload_history_undone")


def test_a_file_over_the_configured_size_limit_is_refused_before_upload(server, page, tmp_path):
    """.streamlit/config.toml sets server.maxUploadSize (MB); the widget refuses a larger file."""
    import tomllib

    from tests.e2e.conftest import ROOT

    limit_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    big = tmp_path / "huge.xlsx"
    big.write_bytes(b"\0" * ((limit_mb + 1) * 1024 * 1024))
    open_page(page, server.url, "upload")
    page.locator(FILE_INPUT).set_input_files(str(big))
    page.get_by_text(re.compile(rf"File must be {limit_mb}(\.0)?\s?MB or smaller")).wait_for(timeout=20_000)
    wait_idle(page)
    assert page.get_by_role("button", name="Load huge.xlsx").count() == 0
    assert page.get_by_text("1 file(s)").count() == 0
