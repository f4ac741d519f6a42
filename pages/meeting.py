"""Meeting mode: the ISC-TF (or ISCG) on one shared screen, one theme per step.

Starting a meeting records it and freezes the data version: every figure on this page comes from
queries run with version=frozen_version, so numbers do not move while people discuss them. The
agenda puts the attention-first themes first (isc.meeting: off track, at risk, not reported,
changed since the last meeting). The first step records who is present and takes up the open
actions of earlier meetings of the same body; each theme step shows its status, figures, the
whole "Why" list (in a scrolling box), note and decision fields, an action form and the theme's
open actions. Ending a meeting records who ended it and when; the meeting then opens read-only,
with its minutes (Word and PDF, isc.minutes) to download.

Keys: Previous and Next have the keyboard shortcuts Left and Right (Streamlit's button
`shortcut`), which do nothing while the cursor is in a text field.

Rights: with sign-in configured, writing (start, attendance, notes, actions, action status, end)
needs Identity.may(auth.MEETING) (admin or secretary); everyone else sees the meeting read-only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from isc import auth, charts, minutes
from isc import meeting as meeting_rules
from isc import status as rule
from isc.db import connection, coordination
from isc.filters import Filters
from isc.periods import today
from pages import identity
from pages.common import (
    as_of_text,
    data_table,
    day_text,
    figure,
    lang,
    md,
    moment_text,
    q,
    read,
    reasons_view,
    show_chart,
    t,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Scoped to this page: the style element exists only while this page is shown, so the
# sidebar and normal type come back on every other page. Below 1500 px wide (a 1366x768
# projector or laptop) the type is smaller so that a theme's status, figures and note fields
# fit on one screen.
PROJECTOR_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 3rem 2rem 3rem !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] input, [data-testid="stMain"] textarea,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] { font-size: 1.55rem !important; line-height: 1.35; }
[data-testid="stMain"] h1 { font-size: 3.1rem !important; padding-bottom: 0.3rem; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; padding: 0.2rem 0 !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; padding: 0.2rem 0 !important; }
[data-testid="stMain"] .stButton button, [data-testid="stMain"] .stFormSubmitButton button,
[data-testid="stMain"] .stDownloadButton button {
    min-height: 4rem; font-size: 1.7rem !important; font-weight: 600; }
[data-testid="stMain"] .stButton button p, [data-testid="stMain"] .stFormSubmitButton button p,
[data-testid="stMain"] .stDownloadButton button p { font-size: 1.7rem !important; }
[data-testid="stMain"] [data-testid="stDateInput"] input, [data-testid="stMain"] [data-baseweb="select"] div {
    font-size: 1.45rem !important; }
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th {
    font-size: 1.3rem !important; padding: 0.2rem 0.6rem !important; }
.isc-badge { display: inline-block; padding: 0.15rem 0.8rem; border-radius: 0.5rem; font-weight: 700;
    font-size: 1.6rem; margin-right: 0.5rem; }
.isc-step { font-size: 1.7rem; font-weight: 600; text-align: center; padding-top: 0.9rem; }
@media (max-width: 1500px) {
  [data-testid="stMainBlockContainer"] { padding: 0.8rem 1.5rem 1rem 1.5rem !important; }
  [data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
  [data-testid="stMain"] input, [data-testid="stMain"] textarea,
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] { font-size: 1.15rem !important; line-height: 1.3; }
  [data-testid="stMain"] h1 { font-size: 2.2rem !important; }
  [data-testid="stMain"] h2 { font-size: 1.8rem !important; }
  [data-testid="stMain"] h3 { font-size: 1.35rem !important; }
  [data-testid="stMain"] .stButton button, [data-testid="stMain"] .stFormSubmitButton button,
  [data-testid="stMain"] .stDownloadButton button { min-height: 2.8rem; }
  [data-testid="stMain"] .stButton button p, [data-testid="stMain"] .stFormSubmitButton button p,
  [data-testid="stMain"] .stDownloadButton button p { font-size: 1.25rem !important; }
  .isc-badge { font-size: 1.2rem; }
  .isc-step { font-size: 1.25rem; padding-top: 0.5rem; }
}
</style>
"""
# Dark text on every status colour: each is at least 4.5:1 (tests/test_contrast.py).
BADGE_TEXT = charts.TEXT_ON_STATUS
WHO = identity.current()
CAN_WRITE = WHO.may(auth.MEETING)


def badge(status: str, prefix: str = "") -> str:
    colour = charts.STATUS_COLORS.get(status, charts.STATUS_COLORS[rule.NOT_REPORTED])
    return (
        f'<span class="isc-badge" style="background:{colour};color:{BADGE_TEXT}">'
        f"{prefix}{charts.status_label(status, lang())}</span>"
    )


def _ended(m: dict) -> bool:
    return m.get("ended_at") is not None and not pd.isna(m.get("ended_at"))


def _current_meeting_id() -> int | None:
    mid = st.session_state.get("meeting_id")
    if mid is None and st.query_params.get("meeting", "").isdigit():
        mid = int(st.query_params["meeting"])
    if mid is not None and read("coordination.meeting", mid) is None:
        mid = None
    st.session_state["meeting_id"] = mid
    return mid


def _open(mid: int | None) -> None:
    st.session_state["meeting_id"] = mid
    st.session_state["meeting_step"] = 0
    if mid is None:
        st.query_params.pop("meeting", None)
    else:
        st.query_params["meeting"] = str(mid)



def start_screen() -> None:
    st.title(t("meeting.title"))
    st.markdown(t("meeting.intro"))
    periods = q("periods", today())
    if not periods:
        st.info(t("common.no_reports_yet"))
        return
    if CAN_WRITE:
        with st.form("start_meeting", border=False, enter_to_submit=False):
            c1, c2, c3 = st.columns([1, 1, 2])
            body = c1.radio(t("meeting.body"), coordination.BODIES, horizontal=True, key="new_meeting_body")
            period = c2.selectbox(t("meeting.period"), periods[::-1], key="new_meeting_period")
            title = c3.text_input(
                t("meeting.title_field"), key="new_meeting_title", placeholder=t("meeting.title_placeholder")
            )
            if st.form_submit_button(t("meeting.start"), type="primary", width="stretch"):
                title = title.strip() or t("meeting.default_title", body=body, date=f"{dt.date.today():%Y-%m-%d}")
                mid = coordination.start_meeting(body, period, title, created_by=WHO.actor)
                _open(mid)
                st.rerun()
    else:
        st.info(t("meeting.read_only_rights"), icon=":material/visibility:")
    past = read("coordination.meetings")
    if not past.empty:
        st.subheader(t("meeting.earlier"))
        table = pd.DataFrame(
            {
                t("meeting.col_title"): past["title"],
                t("meeting.body"): past["body"],
                t("meeting.period"): past["period"],
                t("meeting.col_date"): [moment_text(v) for v in past["starts_at"]],
                t("meeting.col_version"): past["frozen_version"].astype(int),
                t("meeting.col_ended"): [
                    t("meeting.ended_by", when=moment_text(e), who=b or "?") if moment_text(e) else t("meeting.running")
                    for e, b in zip(past["ended_at"], past["ended_by"], strict=True)
                ],
            }
        )
        data_table(table, hide_index=True, width="stretch", key="past_meetings", height=min(38 + 35 * len(past), 300))
        labels = {
            int(r.id): f"{r.title} ({r.body}, {r.starts_at:%Y-%m-%d %H:%M}, {r.period})" for r in past.itertuples()
        }
        c1, c2 = st.columns([3, 1])
        pick = c1.selectbox(
            t("nav.meeting"),
            list(labels),
            format_func=labels.get,
            key="resume_meeting_pick",
            label_visibility="collapsed",
        )
        if c2.button(t("meeting.open"), width="stretch", key="resume_meeting"):
            _open(pick)
            st.rerun()
    st.page_link("pages/overview.py", label=t("meeting.leave"), icon=":material/logout:")


def _agenda(m: dict, prev: dict | None) -> pd.DataFrame:
    current = q("theme_status", Filters(m["period"]), version=int(m["frozen_version"]))
    previous = None
    if prev is not None:
        previous = q("theme_status", Filters(prev["period"]), version=int(prev["frozen_version"]))
    return meeting_rules.agenda(current, previous)


def _action_line(a, with_theme: bool) -> str:
    due = t("meeting.due", date=day_text(a.due_date)) if day_text(a.due_date) else ""
    owner = (
        t("meeting.owner", owner=md(a.owner), due=f", {due}" if due else "")
        if a.owner
        else (f" ({due})" if due else "")
    )
    theme = f"{md(a.theme)}: " if a.theme and with_theme else ""
    set_at = (
        " · " + t("meeting.set_at", title=md(a.set_title), date=day_text(a.set_at))
        if hasattr(a, "set_title") and isinstance(a.set_title, str)
        else ""
    )
    return f"{theme}{md(a.text)}{owner}{set_at}"


def _action_status_editor(actions: pd.DataFrame, where: str, editable: bool) -> None:
    """One row per action with its status (saved, with who and when, as soon as it changes)."""
    if actions.empty:
        st.markdown(t("meeting.no_actions"))
        return
    for a in actions.itertuples(index=False):
        c1, c2 = st.columns([5, 1.3], vertical_alignment="center")
        c1.markdown(_action_line(a, where == "all"))
        key = f"action_status_{where}_{a.id}"

        def _save(action_id=int(a.id), k=key) -> None:
            if CAN_WRITE:
                coordination.set_action_status(action_id, st.session_state[k], WHO.actor)

        c2.selectbox(
            t("col.status"),
            coordination.ACTION_STATUSES,
            format_func=_action_status_label,
            index=coordination.ACTION_STATUSES.index(a.status),
            key=key,
            on_change=_save,
            label_visibility="collapsed",
            disabled=not editable,
        )


def _action_status_label(status: str) -> str:
    """An action status (coordination.ACTION_STATUSES) in words: catalogue key meeting.action_<status>."""
    return t(f"meeting.action_{status}") if status in coordination.ACTION_STATUSES else status


def _why_first(parts) -> str:
    """Why a theme comes first on the agenda: isc.meeting's (key, params) parts in the language
    (the params are status codes, said with the status words)."""
    return "; ".join(t(key, **{k: charts.status_label(v, lang()) for k, v in params.items()}) for key, params in parts)


def _read_only_note(m: dict) -> None:
    if _ended(m):
        st.caption(t("meeting.read_only_ended", when=moment_text(m["ended_at"]), who=md(m.get("ended_by") or "?")))
    elif not CAN_WRITE:
        st.caption(t("meeting.read_only_rights"))


def minutes_buttons(m: dict) -> None:
    """Word and PDF minutes, made only when a button is clicked (on Streamlit's own thread)."""
    mid, language, db = int(m["id"]), lang(), connection.db_path()
    stem = f"minutes_{pd.Timestamp(m['starts_at']):%Y-%m-%d}_{mid}"

    def word() -> bytes:
        return minutes.docx_bytes(minutes.gather(mid, language, db))

    def pdf() -> bytes:
        return minutes.pdf_bytes(word()) or b""

    st.subheader(t("minutes.title"))
    with st.container(horizontal=True):
        st.download_button(
            t("minutes.download_docx"), word, file_name=f"{stem}.docx", mime=DOCX, key="minutes_docx",
            icon=":material/description:", on_click="ignore",
        )  # fmt: skip
        if minutes.soffice():
            st.download_button(
                t("minutes.download_pdf"), pdf, file_name=f"{stem}.pdf", mime="application/pdf", key="minutes_pdf",
                icon=":material/picture_as_pdf:", on_click="ignore",
            )  # fmt: skip
    if not minutes.soffice():
        st.caption(t("minutes.no_soffice"))


def actions_step(m: dict, prev: dict | None, editable: bool) -> None:
    mid = int(m["id"])
    left, right = st.columns([2, 3])
    with left:
        st.subheader(t("meeting.attendance"))
        key = f"attendance_{mid}"
        if key not in st.session_state:
            st.session_state[key] = m.get("attendance") or ""

        def _save() -> None:
            if CAN_WRITE and not _ended(coordination.meeting(mid)):
                coordination.set_attendance(mid, st.session_state[key], WHO.actor)

        st.text_area(
            t("meeting.attendance"),
            key=key,
            height=150,
            on_change=_save,
            label_visibility="collapsed",
            placeholder=t("meeting.attendance_placeholder"),
            disabled=not editable,
        )
        if editable and st.button(t("meeting.save_attendance"), key="save_attendance"):
            _save()
            st.toast(t("meeting.attendance_saved"))
    with right:
        st.subheader(t("meeting.open_actions"))
        if prev is None:
            st.markdown(t("meeting.first_meeting"))
        else:
            carried = read("coordination.carried_actions", mid)
            st.markdown(t("meeting.update_actions", n=len(carried)))
            _action_status_editor(carried, "all", editable)


def _why_box(reasons: pd.DataFrame) -> None:
    """The whole "Why" list, worst first, in a box that scrolls when it is long."""
    worrying = meeting_rules.behind(reasons)
    st.subheader(t("meeting.why_n", n=len(worrying)) if len(worrying) else t("meeting.why"))
    if worrying.empty:
        st.markdown(t("meeting.nothing_behind"))
        return
    lines = [f"- **{md(r.sector)}** {md(r.label)}: {md(r.detail)}" for r in reasons_view(worrying).itertuples()]
    with st.container(height=260, border=True, key="meeting_why"):
        st.markdown("\n".join(lines))


def theme_step(m: dict, prev: dict | None, row: pd.Series, editable: bool) -> None:
    version, period, theme = int(m["frozen_version"]), m["period"], row["theme"]
    st.header(md(row["theme_name"]))
    why = _why_first(row["why_first"])
    st.markdown(
        t(
            "meeting.reported",
            track=md(row["track_name"]),
            n=int(row["sectors_reported"]),
            m=int(row["sectors_expected"]),
            period=period,
        )
        + (f" · **{why}**" if why else "")
    )
    st.markdown(
        badge(row["computed_status"], t("meeting.badge_computed") + " ")
        + badge(row["self_status"], t("meeting.badge_self") + " ")
        + (
            badge(row["previous_status"], t("meeting.badge_last") + " ")
            if isinstance(row["previous_status"], str)
            else ""
        ),
        unsafe_allow_html=True,
    )
    chart_col, why_col, notes_col = st.columns([5, 4, 4])
    sectors = q("report_status", Filters(period), version=version)
    sectors = sectors[sectors["theme"] == theme]
    with chart_col:  # the figure of the frozen version, with its as-of line, table and export menu
        show_chart(
            figure("sector_status_bars", sectors, as_of_text(version=version), t("meeting.chart_title", period=period),
                   height=300),
            sectors, f"meeting_{theme}", ["sector", "computed_status", "self_status"], version=version,
            config={"displayModeBar": False},
        )  # fmt: skip
    with why_col:
        _why_box(q("status_reasons", theme, period, version=version))

    mid = int(m["id"])
    saved = read("coordination.notes", mid)
    saved = saved[saved["theme"] == theme]
    note_key, decided_key = f"meeting_note_{mid}_{theme}", f"meeting_decided_{mid}_{theme}"
    for key, col in ((note_key, "notes"), (decided_key, "decided")):
        if key not in st.session_state:
            value = saved[col].iloc[0] if not saved.empty else ""
            st.session_state[key] = value if isinstance(value, str) else ""

    def _save_note() -> None:
        if CAN_WRITE and not _ended(coordination.meeting(mid)):
            coordination.save_note(
                mid, theme, st.session_state[note_key], st.session_state[decided_key], updated_by=WHO.actor
            )

    with notes_col:
        for field, key, height in (("notes", note_key, 110), ("decisions", decided_key, 80)):
            st.text_area(t(f"meeting.{field}"), key=key, height=height, on_change=_save_note,
                         placeholder=t(f"meeting.{field}_placeholder"), disabled=not editable)
        if editable and st.button(t("meeting.save_notes"), key=f"save_note_{theme}"):
            _save_note()
            st.toast(t("meeting.notes_saved"))
    if editable:
        # No "Press Enter to submit form" hint: the form is submitted by its button only.
        with st.form(f"action_form_{theme}", clear_on_submit=True, border=False, enter_to_submit=False):
            c1, c2, c3, c4 = st.columns([5, 2, 2, 2], vertical_alignment="bottom")
            text = c1.text_input(t("meeting.action"), key=f"action_text_{theme}")
            owner = c2.text_input(t("meeting.owner_field"), key=f"action_owner_{theme}")
            due = c3.date_input(
                t("meeting.due_field"), value=dt.date.today() + dt.timedelta(days=90), key=f"action_due_{theme}"
            )
            if c4.form_submit_button(t("meeting.add_action"), width="stretch"):
                if text.strip():
                    coordination.add_action(mid, theme, text, owner, due, created_by=WHO.actor)
                    st.toast(t("meeting.action_recorded"))
                else:
                    st.warning(t("meeting.write_action_first"))
    now = read("coordination.actions", mid, theme)
    earlier = read("coordination.carried_actions", mid, theme) if prev is not None else pd.DataFrame()
    left, right = st.columns(2)
    with left:
        st.subheader(t("meeting.recorded_today"))
        if now.empty:
            st.markdown(t("meeting.no_actions"))
        for a in now.itertuples(index=False):
            st.markdown(f"- {_action_line(a, False)}")
    with right:
        st.subheader(t("meeting.theme_open_actions"))
        if earlier.empty:
            st.markdown(t("meeting.no_actions"))
        else:
            _action_status_editor(earlier, theme, editable)


def meeting_screen(mid: int) -> None:
    m = read("coordination.meeting", mid)
    prev = read("coordination.previous_meeting", mid)
    editable = CAN_WRITE and not _ended(m)
    agenda = _agenda(m, prev)
    steps = meeting_rules.steps(agenda)
    step = meeting_rules.step_at(st.session_state.get("meeting_step", 0), len(steps))

    def _go(delta: int) -> None:
        st.session_state["meeting_step"] = meeting_rules.step_at(step + delta, len(steps))

    def _end() -> None:
        if CAN_WRITE:
            coordination.end_meeting(mid, WHO.actor)
            st.session_state["meeting_step"] = 0
            st.session_state["meeting_just_ended"] = True

    nav1, nav2, nav3, nav4 = st.columns([2, 4, 2, 2], vertical_alignment="center")
    nav1.button(
        t("meeting.prev"), key="meeting_prev", width="stretch", disabled=step == 0, on_click=_go, args=(-1,),
        shortcut="Left", help=t("meeting.prev_help"),
    )  # fmt: skip
    label = t("meeting.open_actions") if step == 0 else t("meeting.theme_n", n=step, m=len(steps) - 1)
    nav2.markdown(
        f'<div class="isc-step" data-testid="meeting-step">'
        f"{t('meeting.step', n=step + 1, m=len(steps), label=label)}</div>",
        unsafe_allow_html=True,
    )
    nav3.button(
        t("meeting.next"), key="meeting_next", width="stretch", disabled=step == len(steps) - 1, on_click=_go,
        args=(1,), type="primary", shortcut="Right", help=t("meeting.next_help"),
    )  # fmt: skip
    if editable:
        nav4.button(t("meeting.end"), key="end_meeting", width="stretch", on_click=_end)
    elif nav4.button(t("meeting.close"), key="close_meeting", width="stretch"):
        _open(None)
        st.rerun()
    _read_only_note(m)
    if step == 0:
        as_of = q("as_of", version=int(m["frozen_version"]))
        st.title(md(m["title"]))
        st.caption(
            t(
                "meeting.caption",
                body=m["body"],
                started=moment_text(m["starts_at"]),
                period=m["period"],
                version=int(m["frozen_version"]),
            )
            + (t("meeting.caption_as_of", when=moment_text(as_of)) if as_of is not None else "")
            + " · "
            + (t("meeting.caption_previous", date=day_text(prev["starts_at"])) if prev else t("meeting.caption_first"))
        )
        if st.session_state.pop("meeting_just_ended", False):
            st.success(t("meeting.ended_now"), icon=":material/task_alt:")
        if _ended(m):
            minutes_buttons(m)
        actions_step(m, prev, editable)
        st.subheader(t("meeting.agenda"))
        show = agenda[["theme_name", "track_name", "computed_status"]].copy()
        show["computed_status"] = show["computed_status"].map(lambda s: charts.status_label(s, lang()))
        show["why_first"] = agenda["why_first"].map(_why_first)
        show.columns = [t("filter.theme"), t("filter.track"), t("meeting.col_status"), t("meeting.discuss_first")]
        st.table(show.set_index(t("filter.theme")))
        if not _ended(m):
            minutes_buttons(m)
    else:
        theme_step(m, prev, agenda.iloc[step - 1], editable)


st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
meeting_id = _current_meeting_id()
if meeting_id is None:
    start_screen()
else:
    meeting_screen(meeting_id)
