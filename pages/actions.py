"""The action register: every action set at any meeting, followed to closure.

Each action with its state (overdue first: open with its due date passed; then open, done,
dropped), owner, due date, theme and the meeting that set it; every status change with who made
it and when (the action_event table); the register as an Excel workbook (isc.export.table_xlsx,
which writes text as text, never as a formula). Changing a status needs Identity.may(auth.MEETING)
(admin or secretary when sign-in is configured); everyone else reads.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from isc import auth, export
from isc import meeting as meeting_rules
from isc.db import coordination
from isc.periods import today
from pages import identity
from pages.common import data_table, day_text, moment_text, read, t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHO = identity.current()
CAN_WRITE = WHO.may(auth.MEETING)


def state_label(state: str) -> str:
    return {
        meeting_rules.OVERDUE: t("actions.state_overdue"),
        meeting_rules.OPEN: t("actions.state_open"),
        meeting_rules.DONE: t("actions.state_done"),
        meeting_rules.DROPPED: t("actions.state_dropped"),
    }.get(state, state)



st.title(t("actions.title"))
st.caption(t("actions.caption"))
register = read("coordination.action_register")
if register.empty:
    st.info(t("actions.none"))
    st.stop()
register = meeting_rules.register(register, today())

counts = register["state"].value_counts()
for col, state in zip(st.columns(len(meeting_rules.STATES)), meeting_rules.STATES, strict=True):
    col.metric(state_label(state), int(counts.get(state, 0)))

c1, c2 = st.columns(2)
states = c1.multiselect(
    t("actions.show_states"),
    list(meeting_rules.STATES),
    default=[meeting_rules.OVERDUE, meeting_rules.OPEN],
    format_func=state_label,
    key="actions_states",
)
bodies = sorted(register["body"].dropna().unique())
body = c2.selectbox(
    t("actions.body"), [None, *bodies], format_func=lambda b: t("actions.all_bodies") if b is None else b,
    key="actions_body",
)  # fmt: skip
shown = register[register["state"].isin(states or list(meeting_rules.STATES))]
if body:
    shown = shown[shown["body"] == body]

table = pd.DataFrame(
    {
        t("actions.col_id"): shown["id"].astype(int),
        t("actions.col_state"): shown["state"].map(state_label),
        t("actions.col_action"): shown["text"],
        t("actions.col_owner"): shown["owner"].fillna(""),
        t("actions.col_due"): [day_text(v) for v in shown["due_date"]],
        t("actions.col_theme"): shown["theme"].fillna(""),
        t("actions.col_meeting"): [
            f"{title} ({day_text(at)})" for title, at in zip(shown["meeting_title"], shown["meeting_at"], strict=True)
        ],
        t("actions.col_body"): shown["body"],
        t("actions.col_changed"): [
            f"{moment_text(at)} · {by}" if by else moment_text(at) for at, by in zip(shown["updated_at"], shown["updated_by"], strict=True)
        ],
    }
)
data_table(table, hide_index=True, width="stretch", key="actions_table")
st.download_button(
    t("actions.download", n=len(table)),
    export.table_xlsx(table, t("actions.sheet"), t("actions.sheet_note", date=f"{today():%Y-%m-%d}")),
    file_name=f"action_register_{today():%Y-%m-%d}.xlsx",
    mime=XLSX,
    key="actions_xlsx",
    icon=":material/table_view:",
)

st.subheader(t("actions.change_title"))
if CAN_WRITE:
    labels = {int(r.id): f"#{int(r.id)} {r.text} ({state_label(r.state)})" for r in register.itertuples(index=False)}
    with st.form("actions_change", border=False, enter_to_submit=False):
        a, b, c = st.columns([4, 1.5, 1.5], vertical_alignment="bottom")
        pick = a.selectbox(t("actions.col_action"), list(labels), format_func=labels.get, key="actions_pick")
        status = b.selectbox(
            t("actions.new_status"),
            coordination.ACTION_STATUSES,
            format_func=lambda s: t(f"meeting.action_{s}"),  # coordination.ACTION_STATUSES
            key="actions_new_status",
        )  # fmt: skip
        if c.form_submit_button(t("actions.record_change"), width="stretch"):
            before = register.set_index("id").loc[pick, "status"]
            if before == status:
                st.info(t("actions.unchanged"))
            else:
                coordination.set_action_status(pick, status, WHO.actor)
                st.toast(t("actions.changed", id=pick))
                st.rerun()
else:
    st.info(t("actions.read_only"), icon=":material/visibility:")

st.subheader(t("actions.history"))
history = read("coordination.action_history")
if history.empty:
    st.markdown(t("actions.no_history"))
else:
    texts = dict(zip(register["id"].astype(int), register["text"], strict=True))
    first = history.groupby("action_id")["id"].transform("min") == history["id"]
    with st.container(key="actions_history_box"):
        data_table(
            pd.DataFrame(
                {
                    t("actions.col_when"): [moment_text(v) for v in history["changed_at"]],
                    t("actions.col_by"): history["changed_by"].fillna("?"),
                    t("actions.col_id"): history["action_id"].astype(int),
                    t("actions.col_action"): history["action_id"].map(lambda i: texts.get(int(i), "")),
                    t("actions.col_change"): [
                        t("actions.set") if is_first else state_label(s)
                        for s, is_first in zip(history["status"], first, strict=True)
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
            key="actions_history",
        )
