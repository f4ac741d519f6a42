"""A meeting run in the real dashboard: start, walk three themes, record notes and two actions,
then the next meeting lists those actions with their status. Screenshot (1920x1080):
tests/artifacts/screenshots/meeting.png.
"""

from __future__ import annotations

import pytest

from isc.db import coordination
from tests.e2e.conftest import PAGES, open_page, shoot, wait_idle

pytestmark = pytest.mark.e2e

EXCEPTION = '[data-testid="stException"]'
SIDEBAR = '[data-testid="stSidebar"]'


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def _header(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text().strip()


def _step(page) -> str:
    return page.locator('[data-testid="meeting-step"]').inner_text()


def _add_action(page, text: str, owner: str) -> None:
    page.locator('[class*="st-key-action_text_"] input').fill(text)
    page.locator('[class*="st-key-action_owner_"] input').fill(owner)
    _click(page, "Add action")


def test_meeting_run_through_three_themes(server, page):
    open_page(page, server.url, PAGES["meeting"])
    assert page.locator(SIDEBAR).is_hidden(), "meeting mode hides the sidebar"
    page.locator(".st-key-new_meeting_title input").fill("E2E ISC-TF meeting")
    _click(page, "Start meeting")
    assert "Step 1 of" in _step(page)
    assert page.get_by_text("Actions from the previous meeting", exact=True).first.is_visible()

    seen = []
    for n in range(1, 4):
        _click(page, "Next ▶")
        assert f"Theme {n} of" in _step(page)
        seen.append(_header(page))
        if n == 1:
            page.locator('[class*="st-key-meeting_note_"] textarea').fill("ITU-D explained the delays.")
            _click(page, "Save notes")
            _add_action(page, "Re-plan the workshop series with ITU-D", "BDT")
            shoot(page, "meeting_off_track_theme")
        if n == 2:
            _add_action(page, "Agree a single lead Sector", "TSB")
    assert len(set(seen)) == 3, seen
    assert seen[0] == "Space"  # the off-track theme comes first
    # type is large on the projector: body text well above the usual 16 px
    size = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p').first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 22
    assert page.locator(EXCEPTION).count() == 0
    path = shoot(page, "meeting")
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
    assert coordination.notes(mid, server.db)["notes"].tolist() == ["ITU-D explained the delays."]

    # Previous goes back; End meeting returns to the start screen
    _click(page, "◀ Previous")
    assert _header(page) == seen[1]
    _click(page, "End meeting")

    # the next meeting lists both actions with their status, and a change is saved
    page.locator(".st-key-new_meeting_title input").fill("E2E ISC-TF meeting 2")
    _click(page, "Start meeting")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Re-plan the workshop series with ITU-D").is_visible()
    assert main.get_by_text("Agree a single lead Sector").is_visible()
    first = int(acts["id"].iloc[0])
    box = page.locator(f".st-key-action_status_all_{first}")
    assert box.locator("input").input_value() == "open"
    box.click()
    page.get_by_role("option", name="done", exact=True).click()
    wait_idle(page)
    assert coordination.actions(mid, db=server.db)["status"].tolist() == ["done", "open"]
    shoot(page, "meeting_next")

    # leaving meeting mode brings the sidebar back
    open_page(page, server.url, PAGES["completeness"])
    assert page.locator(SIDEBAR).is_visible()


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
