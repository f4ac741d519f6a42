"""Upload history: every upload with who, when, file, sha256, rows and outcome; the original
file byte for byte; undo (itself recorded as an event); and the event log."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from etl import load
from isc import auth
from isc.db import connection, uploads
from pages import identity as ident
from pages.identity import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOMES = ("live", "superseded", "undone")


@st.cache_data(show_spinner=False, max_entries=16)
def _history(fingerprint: tuple) -> pd.DataFrame:
    return uploads.history()


@st.cache_data(show_spinner=False, max_entries=16)
def _events(fingerprint: tuple) -> pd.DataFrame:
    return uploads.events()


def _undo(upload_id: int, who: auth.Identity) -> None:
    u = uploads.upload(upload_id)
    if u is None or u["outcome"] != "live" or not who.may_undo(u["uploaded_by"]):
        st.session_state["history_message"] = (
            "error",
            f"Upload #{upload_id} cannot be undone by {who.user}.",
        )
        return
    try:
        version = load.undo(upload_id, actor=who.user)
    except (LookupError, ValueError, connection.DatabaseBusy) as exc:
        st.session_state["history_message"] = ("error", str(exc))
        return
    st.session_state["history_message"] = ("success", f"Upload #{upload_id} undone (data version {version}).")


def _details(upload_id: int, who: auth.Identity) -> None:
    u = uploads.upload(upload_id)
    if u is None:
        st.error(f"There is no upload #{upload_id}.")
        return
    st.markdown(
        f"**Upload #{u['id']}**: {u['theme']} {u['period']} {u['sector']}, file *{md(u['file_name'])}*, "
        f"{u['row_count']} rows, by {md(u['uploaded_by'])} on {u['uploaded_at']:%Y-%m-%d %H:%M}. "
        f"Outcome: **{u['outcome']}**"
        + (f" (by upload #{u['live_id']})" if u["outcome"] == "superseded" and u["live_id"] else "")
        + (
            f" (by {md(u['undone_by'])} on {u['undone_at']:%Y-%m-%d %H:%M})"
            if u["outcome"] == "undone"
            else ""
        )
    )
    path = load.uploads_dir() / u["stored_name"]
    try:
        original = path.read_bytes()
    except OSError:
        st.error(f"The original file {u['stored_name']} is missing from {path.parent}.")
        original = None
    if original is not None:
        same = hashlib.sha256(original).hexdigest() == u["sha256"]
        st.download_button(
            "Download the original file", original, file_name=u["file_name"], mime=XLSX,
            icon=":material/download:", key="history_download",
            help="Byte for byte the file that was uploaded.",
        )  # fmt: skip
        st.caption(
            f"sha256 {u['sha256']}"
            + (
                " (checked: the stored file matches)"
                if same
                else " - WARNING: the stored file does not match this checksum"
            )
        )
    if u["outcome"] != "live":
        st.caption(
            "Only the live upload of a report can be undone"
            + (f" (upload #{u['live_id']} for this report)." if u["live_id"] else ".")
        )
        return
    if not who.may_undo(u["uploaded_by"]):
        st.info(
            f"Only an administrator or {md(u['uploaded_by'])}, who uploaded it, may undo upload #{u['id']}."
        )
        return
    prev = u["previous"]
    if prev:
        what = (
            f"Undo makes upload #{prev['id']} ({md(prev['file_name'])}, by {md(prev['uploaded_by'])}, "
            f"{prev['uploaded_at']:%Y-%m-%d %H:%M}) the live report again, exactly as it was."
        )
    else:
        what = (
            f"Undo removes the report for {u['theme']} {u['period']} {u['sector']}: no earlier upload exists."
        )
    st.markdown(what + " The undo is recorded in the event log; the file stays in the history.")
    st.button(
        f"Undo upload #{u['id']}",
        key="history_undo",
        type="primary",
        icon=":material/undo:",
        on_click=_undo,
        args=(u["id"], who),
    )


def main() -> None:
    st.title("Upload history")
    who = ident.current()
    ident.banner(who)
    msg = st.session_state.pop("history_message", None)
    if msg:
        (st.success if msg[0] == "success" else st.error)(md(msg[1]))
    fp = connection.fingerprint()
    h = _history(fp)
    counts = h["outcome"].value_counts()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Uploads", len(h))
    for col, name in zip((c2, c3, c4), OUTCOMES, strict=True):
        col.metric(name.capitalize(), int(counts.get(name, 0)))
    if h.empty:
        st.info("No upload yet. Upload a theme report on the Upload page.")
        return

    f1, f2 = st.columns([2, 3])
    chosen = f1.multiselect("Outcome", OUTCOMES, default=list(OUTCOMES), key="history_outcomes")
    text = f2.text_input("Search (file, uploader, theme, sector, period, sha256)", key="history_search")
    view = h[h["outcome"].isin(chosen)]
    if text.strip():
        needle = text.strip().casefold()
        hay = (
            view[["file_name", "uploaded_by", "theme", "sector", "period", "sha256"]]
            .astype(str)
            .agg(" ".join, axis=1)
        )
        view = view[hay.str.casefold().str.contains(needle, regex=False)]
    view = view.assign(
        superseded_by=[f"#{int(x)}" if pd.notna(x) else "" for x in view["superseded_by"]],
    )
    shown = view[
        [
            "id",
            "uploaded_at",
            "uploaded_by",
            "file_name",
            "theme",
            "period",
            "sector",
            "row_count",
            "warning_count",
            "outcome",
            "superseded_by",
            "sha256",
        ]
    ]
    st.dataframe(
        shown, hide_index=True, width="stretch", height=360, key="history_table",
        column_config={
            "id": st.column_config.NumberColumn("Upload", format="#%d"),
            "uploaded_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "uploaded_by": "Who", "file_name": "File", "theme": "Theme", "period": "Period",
            "sector": "Sector", "row_count": "Rows", "warning_count": "Warnings", "outcome": "Outcome",
            "superseded_by": "Superseded by",
            "sha256": "sha256",
        },
    )  # fmt: skip
    st.caption(f"{len(view)} of {len(h)} uploads shown.")

    st.subheader("One upload: download the original, undo")
    ids = view["id"].tolist()
    if not ids:
        return
    # the label leaves out the outcome, so that it does not change under the user after an undo
    labels = dict(
        zip(view["id"], view["file_name"] + " - " + view["theme"] + " " + view["period"] + " " + view["sector"],
            strict=True)
    )  # fmt: skip
    upload_id = st.selectbox("Upload", ids, key="history_upload", format_func=lambda i: f"#{i} {labels[i]}")
    _details(int(upload_id), who)

    st.subheader("Event log")
    st.caption("Every load and every undo, in order; the version is the data version it made.")
    st.dataframe(
        _events(fp), hide_index=True, width="stretch", height=300, key="history_events",
        column_config={
            "version": "Data version", "upload_id": st.column_config.NumberColumn("Upload", format="#%d"),
            "happened_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
            "action": "Action", "actor": "Who", "detail": "Detail",
        },
    )  # fmt: skip


main()
