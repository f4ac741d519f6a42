"""A meeting run in the real dashboard, as the secretary runs it on a 1366x768 screen: start,
record attendance, walk three themes (by keyboard and by button), record notes, a decision and
two actions, end it, download the minutes (Word, checked with python-docx; PDF, first page
rendered to tests/artifacts/minutes_page1.png), then the next meeting opens with the two actions
open, and a status change shows in the action register. Screenshots: tests/artifacts/screenshots/
meeting_1366_*.png.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from isc.db import coordination
from tests.e2e.conftest import PAGES, ROOT, open_page, shoot, wait_idle

pytestmark = pytest.mark.e2e

EXCEPTION = '[data-testid="stException"]'
SIDEBAR = '[data-testid="stSidebar"]'
ARTIFACTS = ROOT / "tests" / "artifacts"
SMALL = {"width": 1366, "height": 768}


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def _key(page, key: str) -> None:
    """Click the button with this Streamlit key (its label carries the shortcut hint too)."""
    page.locator(f".st-key-{key} button").first.click()
    wait_idle(page)


def _header(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text().strip()


def _step(page) -> str:
    return page.locator('[data-testid="meeting-step"]').inner_text()


def _press(page, key: str) -> None:
    """A key press with the cursor out of any text field, as after a click on the page."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)
    wait_idle(page)


def _add_action(page, text: str, owner: str) -> None:
    page.locator('[class*="st-key-action_text_"] input').fill(text)
    page.locator('[class*="st-key-action_owner_"] input').fill(owner)
    _click(page, "Add action")


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SMALL["height"]


@pytest.fixture
def small_page(browser):
    context = browser.new_context(viewport=SMALL, device_scale_factor=1, locale="en-GB", accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def test_meeting_run_through_three_themes(server, small_page):
    page = small_page
    open_page(page, server.url, PAGES["meeting"])
    assert page.locator(SIDEBAR).is_hidden(), "meeting mode hides the sidebar"
    page.locator(".st-key-new_meeting_title input").fill("E2E ISC-TF meeting")
    _click(page, "Start meeting")
    assert "Step 1 of" in _step(page)
    assert page.get_by_text("Open actions from earlier meetings", exact=True).first.is_visible()
    page.locator('[class*="st-key-attendance_"] textarea').fill("ITU-R\nITU-T\nITU-D\nGeneral Secretariat")
    _click(page, "Save attendance")

    seen = []
    for n in range(1, 4):
        if n == 2:
            _key(page, "meeting_next")  # by button
        else:
            _press(page, "ArrowRight")  # one key press
        assert f"Theme {n} of" in _step(page), _step(page)
        seen.append(_header(page))
        if n == 1:
            shoot(page, "meeting_1366_theme")
            # status, figures and the note fields on one 1366x768 screen
            for what in ('[data-testid="meeting-step"]', ".isc-badge", ".js-plotly-plot",
                         '[class*="st-key-meeting_note_"] textarea', '[class*="st-key-meeting_decided_"] textarea',
                         '[class*="st-key-action_text_"] input'):  # fmt: skip
                assert _in_view(page, what), what
            assert page.locator(".st-key-meeting_why").is_visible()  # the whole "Why" list, scrolling
            assert page.get_by_text("Press Enter to submit", exact=False).count() == 0
            page.locator('[class*="st-key-meeting_note_"] textarea').fill("ITU-D explained the delays.")
            page.locator('[class*="st-key-meeting_decided_"] textarea').fill("Re-plan the series with ITU-D.")
            _click(page, "Save notes")
            _add_action(page, "Re-plan the workshop series with ITU-D", "BDT")
            assert page.get_by_text("Press Enter to submit", exact=False).count() == 0
        if n == 2:
            _add_action(page, "Agree a single lead Sector", "TSB")
    assert len(set(seen)) == 3, seen
    assert seen[0] == "Space"  # the off-track theme comes first
    _press(page, "ArrowLeft")
    assert _header(page) == seen[1]
    assert page.locator(EXCEPTION).count() == 0
    path = shoot(page, "meeting_1366_second_theme")
    assert path.stat().st_size > 20_000

    meetings = coordination.meetings(server.db)
    mine = meetings[meetings["title"] == "E2E ISC-TF meeting"]
    assert len(mine) == 1
    mid = int(mine["id"].iloc[0])
    acts = coordination.actions(mid, db=server.db)
    assert acts[["text", "owner", "status"]].to_dict("records") == [
        {"text": "Re-plan the workshop series with ITU-D", "owner": "BDT", "status": "open"},
        {"text": "Agree a single lead Sector", "owner": "TSB", "status": "open"},
    ]

    # End: recorded, read-only, minutes to download
    _key(page, "end_meeting")
    assert page.get_by_text("Meeting ended.", exact=False).first.is_visible()
    ended = coordination.meeting(mid, server.db)
    assert ended["ended_by"] == "local" and ended["ended_at"] is not None
    shoot(page, "meeting_1366_ended")
    with page.expect_download() as info:
        page.locator(".st-key-minutes_docx button").click()
    docx_path = ARTIFACTS / "minutes.docx"
    info.value.save_as(docx_path)
    _check_minutes(docx_path.read_bytes(), int(ended["frozen_version"]))
    if shutil.which("soffice"):
        with page.expect_download(timeout=240_000) as info:
            page.locator(".st-key-minutes_pdf button").click()
        pdf_path = ARTIFACTS / "minutes.pdf"
        info.value.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF")
        png = ARTIFACTS / "minutes_page1"
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf_path), str(png)],
                       check=True, timeout=60)  # fmt: skip
        assert (ARTIFACTS / "minutes_page1.png").stat().st_size > 5_000
    _key(page, "close_meeting")

    # the next meeting opens with both actions open; a change is saved
    page.locator(".st-key-new_meeting_title input").fill("E2E ISC-TF meeting 2")
    _click(page, "Start meeting")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Re-plan the workshop series with ITU-D").is_visible()
    assert main.get_by_text("Agree a single lead Sector").is_visible()
    first = int(acts["id"].iloc[0])
    box = page.locator(f".st-key-action_status_all_{first}")
    assert box.locator("input").input_value() == "open"
    assert page.locator(f".st-key-action_status_all_{int(acts['id'].iloc[1])} input").input_value() == "open"
    box.click()
    page.get_by_role("option", name="done", exact=True).click()
    wait_idle(page)
    assert coordination.actions(mid, db=server.db)["status"].tolist() == ["done", "open"]
    shoot(page, "meeting_1366_next")

    # the change shows in the action register, with who and when
    open_page(page, server.url, "actions")
    assert page.locator(SIDEBAR).is_visible()  # leaving meeting mode brings the sidebar back
    history = page.locator('.st-key-actions_history_box [data-testid="stDataFrame"]')
    history.wait_for()
    assert page.locator(EXCEPTION).count() == 0
    shoot(page, "action_register")
    rows = coordination.action_history(first, db=server.db)
    assert rows["status"].tolist() == ["done", "open"] and rows["changed_by"].tolist() == ["local", "local"]
    cells = history.locator('[role="gridcell"]').all_inner_texts()
    # newest first: when, by, No., action, change
    assert cells[1:5] == ["local", str(first), "Re-plan the workshop series with ITU-D", "Done"], cells


def _check_minutes(data: bytes, version: int) -> None:
    from docx import Document
    from docx.shared import Cm

    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05) and abs(section.page_height - Cm(29.7)) < Cm(0.05)
    assert abs(section.left_margin - Cm(2.5)) < Cm(0.05)
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0] == ("Title", "E2E ISC-TF meeting")
    text = "\n".join(t for _, t in paras)
    assert f"data version {version}" in text and "Meeting ended on" in text and "by local" in text
    assert [t for s, t in paras if s == "List Bullet"][:4] == ["ITU-R", "ITU-T", "ITU-D", "General Secretariat"]
    headings = [t for s, t in paras if s == "Heading 2"]
    assert headings[0] == "Space" and len(headings) == 2  # the two themes with notes or actions
    assert "ITU-D explained the delays." in text and "Re-plan the series with ITU-D." in text
    assert "Computed status: Off track" in text and "Sectors reported" in text
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    assert cells[cells.index(
        ["Action", "Owner", "Due date"]) + 1][:2] == ["Re-plan the workshop series with ITU-D", "BDT"]
    assert any(row[:2] == ["Agree a single lead Sector", "TSB"] for row in cells)
    assert all(t.style.name == "Light Grid Accent 1" for t in doc.tables)
    assert any(s == "Caption" for s, _ in paras)


def test_completeness_and_overlaps_pages(server, page):
    open_page(page, server.url, PAGES["completeness"])
    page.locator(".js-plotly-plot").nth(2).wait_for(state="attached", timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == 3
    # bars carry their status as text, not colour alone
    labels = (
        page.locator(".js-plotly-plot")
        .first.locator("text.bartext")
        .evaluate_all("els => els.map(e => e.textContent)")
    )
    assert any(t.startswith("Missing") for t in labels) and any(t.startswith("On time") for t in labels)
    assert page.get_by_role("button", name="overdue reports").count() == 1
    assert page.locator(EXCEPTION).count() == 0
    shoot(page, "completeness_rates", full_page=True)

    open_page(page, server.url, PAGES["overlaps"])
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Regional cybersecurity drill for Africa").first.is_visible()
    assert page.locator(EXCEPTION).count() == 0
    shoot(page, "overlaps_pairs")
