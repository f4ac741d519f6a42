"""A template keeps what it was made for, through LibreOffice too: the template downloaded from
the Upload page in Chromium, filled in with openpyxl, re-saved by LibreOffice, then retitled for
another theme, is refused on the page with a message naming the theme it was made for. The same
file without the retitling is accepted (LibreOffice kept the hidden key sheet). Nothing is loaded,
so the shared server's data stays as it was for the other e2e tests.

Screenshot: tests/artifacts/screenshots/template_key_refused.png.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from etl import spec
from etl.reference import Reference
from tests.e2e.conftest import open_page, shoot, wait_idle

pytestmark = pytest.mark.e2e
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
REF = Reference.load()
THEME_ROW = next(i for i, f in enumerate(spec.HEADER_FIELDS, start=1) if f.key == "theme")


def _download(page, label: str, within=None) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        (within or page).get_by_role("button", name=label).click()
    return Path(info.value.path()).read_bytes()


def _libreoffice_resave(src: Path, outdir: Path) -> Path:
    """`soffice --headless --convert-to xlsx`: the file as LibreOffice writes it back."""
    exe = shutil.which("soffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir.parent / "lo_profile").as_uri()  # its own profile: no clash with another soffice
    subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=180)  # fmt: skip
    out = outdir / src.name
    assert out.exists(), f"LibreOffice wrote nothing for {src.name}"
    return out


def _key(wb) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in wb[spec.KEY_SHEET].iter_rows(max_col=2, values_only=True) if r[0]}


def _upload(page, path: Path) -> None:
    page.locator(FILE_INPUT).set_input_files(str(path))
    wait_idle(page)


def _section(page, name: str):
    """The bordered block of one uploaded file (st.container keyed upload_file_<n>)."""
    return page.locator('[class*="st-key-upload_file_"]').filter(has_text=name)


def test_a_template_retitled_for_another_theme_is_refused_naming_its_theme(server, page, tmp_path):
    open_page(page, server.url, "upload")
    correcting = page.get_by_text("A report is already loaded for this quarter").count() > 0
    template = _download(page, "Download the template")
    wb = load_workbook(io.BytesIO(template))
    made = _key(wb)
    theme, period, sector = made["theme"], made["period"], made["sector"]
    assert wb[spec.KEY_SHEET].sheet_state == "veryHidden"
    assert str(wb[spec.REPORT_SHEET].cell(THEME_ROW, 2).value).startswith(theme)

    # fill it in minimally, as a focal point would, and let LibreOffice save it again
    report = wb[spec.REPORT_SHEET]
    rows = {f.key: i for i, f in enumerate(spec.HEADER_FIELDS, start=1)}
    report.cell(rows["summary"], 2, "Quarter on plan; see the activities.")
    report.cell(rows["prepared_by"], 2, "Test focal point")
    report.cell(rows["self_status"], 2, "On track")
    assert wb[spec.ACTIVITIES.name].max_row > 1, "the template should be pre-filled from last quarter"
    filled = tmp_path / "filled" / f"report_{theme}.xlsx"
    filled.parent.mkdir()
    wb.save(filled)
    resaved = _libreoffice_resave(filled, tmp_path / "libreoffice")
    after = load_workbook(resaved)
    assert spec.KEY_SHEET in after.sheetnames and _key(after)["theme"] == theme  # the key survives

    # as LibreOffice wrote it: accepted, with its preview and Load button (not pressed)
    _upload(page, resaved)
    page.get_by_role("button", name=f"Load {resaved.name}").wait_for(timeout=60_000)
    if correcting:  # pre-filled with the live report: only what was typed in differs from it
        said = _section(page, resaved.name).inner_text()
        assert "This will replace report #" in said and "Report sheet: Narrative summary" in said, said
        assert "changed activit" not in said and "changed indicator" not in said, said

    # retitled for another theme: refused, naming the theme the file was made for
    other = next(c for c in REF.reportable_themes if c != theme)
    after[spec.REPORT_SHEET].cell(THEME_ROW, 2, f"{other} - {REF.reportable_themes[other]}")
    moved = tmp_path / "moved" / f"report_{other}.xlsx"
    moved.parent.mkdir()
    after.save(moved)
    _upload(page, moved)
    block = _section(page, moved.name)
    block.get_by_text("1 error(s)").first.wait_for(timeout=60_000)
    assert block.get_by_role("button", name=f"Load {moved.name}").count() == 0
    block.scroll_into_view_if_needed()
    shoot(page, "template_key_refused")
    # the refusal itself, as the annotated workbook lists it (the table is drawn on a canvas)
    annotated = load_workbook(io.BytesIO(_download(page, "Download your file with the problems marked", block)))
    listed = " ".join(str(v) for row in annotated.worksheets[0].iter_rows(values_only=True) for v in row if v)
    assert f"this file was made for theme {theme} ({REF.reportable_themes[theme]})" in listed, listed
    assert f"Sector {sector}, period {period}" in listed and other in listed
