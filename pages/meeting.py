"""Meeting mode: the ISC-TF (or ISCG) on one shared screen, one theme per step.

Starting a meeting records it and freezes the data version: every figure on this page comes from
queries run with version=frozen_version, so numbers do not move while people discuss them. The
agenda puts themes off track or changed since the last meeting first. Notes and actions are
saved with the meeting; the previous meeting's actions are listed with their (editable) status.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from isc import coordination_charts as charts
from isc import meeting as meeting_rules
from isc import reason_text
from isc import status as rule
from isc.db import coordination
from isc.periods import today
from pages.common import lang, md, q, t

# Scoped to this page: the style element exists only while this page is shown, so the
# sidebar and normal type come back on every other page.
PROJECTOR_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.5rem 3rem 2rem 3rem !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] input, [data-testid="stMain"] textarea,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] { font-size: 1.55rem !important; line-height: 1.35; }
[data-testid="stMain"] h1 { font-size: 3.1rem !important; padding-bottom: 0.3rem; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMain"] .stButton button, [data-testid="stMain"] .stFormSubmitButton button {
    min-height: 4rem; font-size: 1.7rem !important; font-weight: 600; }
[data-testid="stMain"] .stButton button p, [data-testid="stMain"] .stFormSubmitButton button p {
    font-size: 1.7rem !important; }
[data-testid="stMain"] [data-testid="stDateInput"] input, [data-testid="stMain"] [data-baseweb="select"] div {
    font-size: 1.45rem !important; }
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th {
    font-size: 1.3rem !important; padding: 0.2rem 0.6rem !important; }
.isc-badge { display: inline-block; padding: 0.25rem 1rem; border-radius: 0.5rem; font-weight: 700;
    font-size: 1.9rem; margin-right: 0.5rem; }
.isc-step { font-size: 1.7rem; font-weight: 600; text-align: center; padding-top: 0.9rem; }
</style>
"""
# Dark text on every status colour: each is at least 4.5:1 (tests/test_contrast.py).
BADGE_TEXT = charts.TEXT_ON_STATUS


def _user() -> str:
    try:
        return st.user.get("email") or "local"
    except Exception:  # noqa: BLE001 - no auth configured
        return "local"


def badge(status: str, prefix: str = "") -> str:
    colour = charts.STATUS_COLOURS.get(status, charts.STATUS_COLOURS[rule.NOT_REPORTED])
    return (
        f'<span class="isc-badge" style="background:{colour};color:{BADGE_TEXT}">'
        f"{prefix}{charts.status_label(status, lang())}</span>"
    )


def _current_meeting_id() -> int | None:
    mid = st.session_state.get("meeting_id")
    if mid is None and st.query_params.get("meeting", "").isdigit():
        mid = int(st.query_params["meeting"])
    if mid is not None and coordination.meeting(mid) is None:
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
    with st.form("start_meeting", border=False):
        c1, c2, c3 = st.columns([1, 1, 2])
        body = c1.radio(t("meeting.body"), coordination.BODIES, horizontal=True, key="new_meeting_body")
        period = c2.selectbox(t("meeting.period"), periods[::-1], key="new_meeting_period")
        title = c3.text_input(
            t("meeting.title_field"), key="new_meeting_title", placeholder=t("meeting.title_placeholder")
        )
        if st.form_submit_button(t("meeting.start"), type="primary", width="stretch"):
            title = title.strip() or t("meeting.default_title", body=body, date=f"{dt.date.today():%Y-%m-%d}")
            mid = coordination.start_meeting(body, period, title, created_by=_user())
            _open(mid)
            st.rerun()
    past = coordination.meetings()
    if not past.empty:
        st.subheader(t("meeting.earlier"))
        labels = {
            int(r.id): f"{r.title} ({r.body}, {r.starts_at:%Y-%m-%d %H:%M}, {r.period})"
            for r in past.itertuples()
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
    current = q("theme_status", m["period"], version=int(m["frozen_version"]))
    previous = None
    if prev is not None:
        previous = q("theme_status", prev["period"], version=int(prev["frozen_version"]))
    return meeting_rules.agenda(current, previous)


def _action_status_editor(actions: pd.DataFrame, where: str) -> None:
    """One row per action with an editable status (saved as soon as it changes)."""
    if actions.empty:
        st.markdown(t("meeting.no_actions"))
        return
    for a in actions.itertuples(index=False):
        c1, c2 = st.columns([5, 1.3])
        due = t("meeting.due", date=f"{a.due_date:%Y-%m-%d}") if pd.notna(a.due_date) else ""
        owner = (
            t("meeting.owner", owner=a.owner, due=f", {due}" if due else "")
            if a.owner
            else (f" ({due})" if due else "")
        )
        theme = f"{a.theme}: " if a.theme and where == "all" else ""
        c1.markdown(f"{theme}{md(a.text)}{md(owner)}")
        key = f"action_status_{where}_{a.id}"

        def _save(action_id=int(a.id), k=key) -> None:
            coordination.set_action_status(action_id, st.session_state[k], _user())

        c2.selectbox(
            t("col.status"),
            coordination.ACTION_STATUSES,
            format_func=_action_status_label,
            index=coordination.ACTION_STATUSES.index(a.status),
            key=key,
            on_change=_save,
            label_visibility="collapsed",
        )


def _action_status_label(status: str) -> str:
    return {"open": t("meeting.action_open"), "done": t("meeting.action_done"), "dropped": t("meeting.action_dropped")}.get(
        status, status
    )


def _why_first(row) -> str:
    """Why a theme comes first on the agenda (isc.meeting.agenda's why_first, in the language)."""
    parts = []
    if row["computed_status"] == rule.OFF_TRACK:
        parts.append(charts.status_label(rule.OFF_TRACK, lang()).lower())
    if row["changed"]:
        parts.append(t("meeting.changed", was=charts.status_label(row["previous_status"], lang())))
    return "; ".join(parts)


def actions_step(prev: dict | None) -> None:
    st.header(t("meeting.previous_actions"))
    if prev is None:
        st.markdown(t("meeting.first_meeting"))
        return
    st.markdown(t("meeting.update_actions", title=prev["title"], date=f"{prev['starts_at']:%Y-%m-%d}"))
    _action_status_editor(coordination.actions(int(prev["id"])), "all")


def theme_step(m: dict, prev: dict | None, row: pd.Series) -> None:
    version, period, theme = int(m["frozen_version"]), m["period"], row["theme"]
    st.header(md(row["theme_name"]))
    why = _why_first(row)
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
    left, right = st.columns([3, 2])
    sectors = q("report_status", period, version=version)
    sectors = sectors[sectors["theme"] == theme]
    left.plotly_chart(
        charts.sector_status_bars(sectors, t("meeting.chart_title", period=period), height=300, lang=lang()),
        width="stretch",
        key=f"meeting_chart_{theme}",
        config={"displayModeBar": False},
    )
    reasons = q("status_reasons", theme, period, version=version)
    worrying = reasons[reasons["status"].isin([rule.OFF_TRACK, rule.AT_RISK])]
    with right:
        st.subheader(t("meeting.why"))
        if worrying.empty:
            st.markdown(t("meeting.nothing_behind"))
        else:
            lines = [
                f"- **{r.sector}** {md(reason_text.label(r.label, lang()))}: "
                f"{md(reason_text.detail(r.detail, lang()))}"
                for r in worrying.head(5).itertuples()
            ]
            more = len(worrying) - 5
            st.markdown("\n".join(lines) + ("\n\n" + t("meeting.more", n=more) if more > 0 else ""))

    notes_col, act_col = st.columns(2)
    mid = int(m["id"])
    saved = coordination.notes(mid)
    saved = saved[saved["theme"] == theme]
    note_key = f"meeting_note_{mid}_{theme}"
    if note_key not in st.session_state:
        st.session_state[note_key] = saved["notes"].iloc[0] if not saved.empty else ""

    def _save_note() -> None:
        coordination.save_note(mid, theme, st.session_state[note_key], updated_by=_user())

    with notes_col:
        st.subheader(t("meeting.notes_title"))
        st.text_area(
            t("meeting.notes"),
            key=note_key,
            height=150,
            on_change=_save_note,
            label_visibility="collapsed",
            placeholder=t("meeting.notes_placeholder"),
        )
        if st.button(t("meeting.save_notes"), key=f"save_note_{theme}"):
            _save_note()
            st.toast(t("meeting.notes_saved"))
    with act_col:
        st.subheader(t("meeting.add_action_title"))
        with st.form(f"action_form_{theme}", clear_on_submit=True, border=False):
            text = st.text_input(t("meeting.action"), key=f"action_text_{theme}")
            c1, c2 = st.columns(2)
            owner = c1.text_input(t("meeting.owner_field"), key=f"action_owner_{theme}")
            due = c2.date_input(
                t("meeting.due_field"), value=dt.date.today() + dt.timedelta(days=90), key=f"action_due_{theme}"
            )
            if st.form_submit_button(t("meeting.add_action"), width="stretch"):
                if text.strip():
                    coordination.add_action(mid, theme, text, owner, due, created_by=_user())
                    st.toast(t("meeting.action_recorded"))
                else:
                    st.warning(t("meeting.write_action_first"))
    now = coordination.actions(mid, theme)
    if not now.empty:
        st.subheader(t("meeting.recorded_today"))
        for a in now.itertuples(index=False):
            due = t("meeting.due", date=f"{a.due_date:%Y-%m-%d}") if pd.notna(a.due_date) else ""
            owner = t("meeting.owner", owner=a.owner, due=f", {due}" if due else "") if a.owner else ""
            st.markdown(f"- {md(a.text)}" + (owner or (f" ({due})" if due else "")))
    if prev is not None:
        earlier = coordination.actions(int(prev["id"]), theme)
        if not earlier.empty:
            st.subheader(t("meeting.previous_actions"))
            _action_status_editor(earlier, theme)


def meeting_screen(mid: int) -> None:
    m = coordination.meeting(mid)
    prev = coordination.previous_meeting(mid)
    agenda = _agenda(m, prev)
    steps = ["actions", *agenda["theme"].tolist()]
    step = min(max(int(st.session_state.get("meeting_step", 0)), 0), len(steps) - 1)
    as_of = q("as_of", version=int(m["frozen_version"]))
    top1, top2 = st.columns([4, 1])
    top1.title(m["title"])
    top1.caption(
        t(
            "meeting.caption",
            body=m["body"],
            started=f"{m['starts_at']:%Y-%m-%d %H:%M}",
            period=m["period"],
            version=int(m["frozen_version"]),
        )
        + (t("meeting.caption_as_of", when=f"{as_of:%Y-%m-%d %H:%M}") if as_of is not None else "")
        + " · "
        + (t("meeting.caption_previous", date=f"{prev['starts_at']:%Y-%m-%d}") if prev else t("meeting.caption_first"))
    )
    if top2.button(t("meeting.end"), key="end_meeting", width="stretch"):
        _open(None)
        st.rerun()

    def _go(delta: int) -> None:
        st.session_state["meeting_step"] = min(max(step + delta, 0), len(steps) - 1)

    nav1, nav2, nav3 = st.columns([2, 3, 2])
    nav1.button(
        t("meeting.prev"), key="meeting_prev", width="stretch", disabled=step == 0, on_click=_go, args=(-1,)
    )
    label = t("meeting.previous_actions") if step == 0 else t("meeting.theme_n", n=step, m=len(steps) - 1)
    nav2.markdown(
        f'<div class="isc-step" data-testid="meeting-step">'
        f"{t('meeting.step', n=step + 1, m=len(steps), label=label)}</div>",
        unsafe_allow_html=True,
    )
    nav3.button(
        t("meeting.next"),
        key="meeting_next",
        width="stretch",
        disabled=step == len(steps) - 1,
        on_click=_go,
        args=(1,),
        type="primary",
    )
    if step == 0:
        actions_step(prev)
        st.subheader(t("meeting.agenda"))
        show = agenda[["theme_name", "track_name", "computed_status"]].copy()
        show["computed_status"] = show["computed_status"].map(lambda s: charts.status_label(s, lang()))
        show["why_first"] = [_why_first(r) for _, r in agenda.iterrows()]
        show.columns = [t("filter.theme"), t("filter.track"), t("meeting.col_status"), t("meeting.discuss_first")]
        st.table(show.set_index(t("filter.theme")))
    else:
        theme_step(m, prev, agenda.iloc[step - 1])


st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
meeting_id = _current_meeting_id()
if meeting_id is None:
    start_screen()
else:
    meeting_screen(meeting_id)
