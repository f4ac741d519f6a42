"""Upload history: every upload with who, when, file, sha256, rows and outcome; the original
file byte for byte; undo (itself recorded as an event); and the event log.

Undo takes two clicks: "Undo upload #N" opens a confirmation that names the upload (theme,
period, Sector, who, when) and the report that becomes live again (or that none will be); only
its "Yes, undo" button undoes, and only if that is still what would happen.

Rights (isc.auth.Identity.may): undo (UNDO) and downloading an original (DOWNLOAD_ORIGINAL:
administrators and the focal points of its theme and Sector); the uploaders' e-mail addresses
only for those who may see e-mails (SEE_EMAILS). Undo records the actor with their issuer and
subject at the sign-in provider."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from etl import load
from isc import auth
from isc.db import connection, uploads
from pages import identity as ident
from pages.common import data_table, read, t
from pages.identity import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOMES = ("live", "superseded", "undone")


def _outcome(outcome: str) -> str:
    """An upload outcome (live, superseded, undone) in the selected language."""
    words = {"live": t("history.live"), "superseded": t("history.superseded"), "undone": t("history.undone_word")}
    return words.get(outcome, outcome)


CONFIRM = "history_confirm"  # session_state: the upload id whose undo awaits confirmation


def _ask(upload_id: int) -> None:
    st.session_state[CONFIRM] = upload_id


def _cancel() -> None:
    st.session_state.pop(CONFIRM, None)


def _previous_id(u: dict) -> int | None:
    return u["previous"]["id"] if u.get("previous") else None


def _undo(upload_id: int, who: auth.Identity, restores: int | None = None) -> None:
    """The confirmed undo. `restores` is the upload the confirmation said would become live
    again (None: none); when that is no longer so, nothing is undone and the user is told.
    The rights are checked again for who is signed in now, not when the button was drawn."""
    st.session_state.pop(CONFIRM, None)
    who = ident.current()
    u = uploads.upload(upload_id)  # the check a write makes: the database itself, not the cached read
    if u is None or u["outcome"] != "live" or not who.may(auth.UNDO, uploaded_by=u["uploaded_by"]):
        st.session_state["history_message"] = ("error", t("history.cannot_undo", id=upload_id, user=who.user))
        return
    if _previous_id(u) != restores:
        st.session_state["history_message"] = ("error", t("history.undo_stale", id=upload_id))
        return
    try:
        version = load.undo(upload_id, actor=who.actor, issuer=who.issuer, subject=who.subject)
    except (LookupError, ValueError, connection.DatabaseBusy) as exc:
        st.session_state["history_message"] = ("error", str(exc))
        return
    st.session_state["history_message"] = ("success", t("history.undone", id=upload_id, version=version))


def _details(upload_id: int, who: auth.Identity) -> None:
    u = read("uploads.upload", upload_id)
    if u is None:
        st.error(t("history.no_such", id=upload_id))
        return
    emails = ident.may_see_emails(who)

    def by(value) -> str:
        return md(ident.email_or_hidden(value, allowed=emails))
    st.markdown(
        t(
            "history.details",
            id=u["id"],
            report=f"{u['theme']} {u['period']} {u['sector']}",
            file=md(u["file_name"]),
            rows=u["row_count"],
            by=by(u["uploaded_by"]),
            when=f"{u['uploaded_at']:%Y-%m-%d %H:%M}",
            outcome=_outcome(u["outcome"]),
        )
        + (t("history.by_upload", id=u["live_id"]) if u["outcome"] == "superseded" and u["live_id"] else "")
        + (
            t("history.undone_by", by=by(u["undone_by"]), when=f"{u['undone_at']:%Y-%m-%d %H:%M}")
            if u["outcome"] == "undone"
            else ""
        )
    )
    original = None
    if not who.may(auth.DOWNLOAD_ORIGINAL, theme=u["theme"], sector=u["sector"]):
        st.caption(t("history.download_refused", theme=u["theme"], sector=u["sector"]))
    else:
        path = load.original_file(u["stored_name"])  # never a server path on screen
        try:
            original = path.read_bytes() if path is not None else None
        except OSError:
            original = None
        if original is None:
            st.error(t("history.original_missing", name=u["stored_name"]))
    if original is not None:
        same = hashlib.sha256(original).hexdigest() == u["sha256"]
        st.download_button(
            t("history.download"), original, file_name=u["file_name"], mime=XLSX,
            icon=":material/download:", key="history_download",
            help=t("history.download_help"),
        )  # fmt: skip
        st.caption(
            f"sha256 {u['sha256']}" + (t("history.checksum_ok") if same else t("history.checksum_bad"))
        )
    if u["outcome"] != "live":
        st.caption(
            t("history.only_live")
            + (t("history.live_is", id=u["live_id"]) if u["live_id"] else ".")
        )
        return
    if not who.may(auth.UNDO, uploaded_by=u["uploaded_by"]):
        st.info(t("history.only_admin", user=by(u["uploaded_by"]), id=u["id"]))
        return
    prev = u["previous"]
    if st.session_state.get(CONFIRM) == u["id"]:
        _confirm(u, who)
        return
    if prev:
        what = t(
            "history.undo_restores",
            id=prev["id"],
            file=md(prev["file_name"]),
            by=md(prev["uploaded_by"]),
            when=f"{prev['uploaded_at']:%Y-%m-%d %H:%M}",
        )
    else:
        what = t("history.undo_removes", report=f"{u['theme']} {u['period']} {u['sector']}")
    st.markdown(what + " " + t("history.undo_recorded"))
    st.button(
        t("history.undo", id=u["id"]),
        key="history_undo",
        icon=":material/undo:",
        on_click=_ask,
        args=(u["id"],),
    )


def _confirm(u: dict, who: auth.Identity) -> None:
    """The confirmation step: which upload is undone, and which report is live afterwards."""
    prev = u["previous"]
    question = t(
        "history.confirm_question",
        id=u["id"],
        theme=u["theme"],
        period=u["period"],
        sector=u["sector"],
        by=md(u["uploaded_by"]),
        when=f"{u['uploaded_at']:%Y-%m-%d %H:%M}",
        file=md(u["file_name"]),
    )
    if prev:
        after = t(
            "history.confirm_restores",
            id=prev["id"],
            by=md(prev["uploaded_by"]),
            when=f"{prev['uploaded_at']:%Y-%m-%d %H:%M}",
            file=md(prev["file_name"]),
        )
    else:
        after = t("history.confirm_removes", report=f"{u['theme']} {u['period']} {u['sector']}")
    with st.container(border=True, key="history_confirm_box"):
        st.warning(f"{question}\n\n{after}", icon=":material/undo:")
        buttons = st.container(horizontal=True)  # side by side, each as wide as its label
        buttons.button(
            t("history.confirm_yes", id=u["id"]),
            key="history_undo_yes",
            type="primary",
            icon=":material/undo:",
            on_click=_undo,
            args=(u["id"], who, _previous_id(u)),
        )
        buttons.button(t("history.confirm_cancel"), key="history_undo_no", on_click=_cancel)


def main() -> None:
    st.title(t("nav.history"))
    who = ident.current()
    ident.banner(who)
    msg = st.session_state.pop("history_message", None)
    if msg:
        (st.success if msg[0] == "success" else st.error)(md(msg[1]))
    h = read("uploads.history")
    counts = h["outcome"].value_counts()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("home.uploads"), len(h))
    for col, name in zip((c2, c3, c4), OUTCOMES, strict=True):
        col.metric(_outcome(name).capitalize(), int(counts.get(name, 0)))
    if h.empty:
        st.info(t("history.none"))
        return

    f1, f2 = st.columns([2, 3])
    chosen = f1.multiselect(
        t("history.col_outcome"), OUTCOMES, default=list(OUTCOMES), format_func=_outcome, key="history_outcomes"
    )
    text = f2.text_input(t("history.search"), key="history_search")
    view = h[h["outcome"].isin(chosen)]
    emails = ident.may_see_emails(who)  # the uploaders' addresses: not searchable when hidden
    if text.strip():
        needle = text.strip().casefold()
        hay = (
            view[["file_name", *(["uploaded_by"] if emails else []), "theme", "sector", "period", "sha256"]]
            .astype(str)
            .agg(" ".join, axis=1)
        )
        view = view[hay.str.casefold().str.contains(needle, regex=False)]
    view = view.assign(
        superseded_by=[f"#{int(x)}" if pd.notna(x) else "" for x in view["superseded_by"]],
        outcome=view["outcome"].map(_outcome),
        uploaded_by=[ident.email_or_hidden(x, allowed=emails) for x in view["uploaded_by"]],
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
    data_table(
        shown, hide_index=True, width="stretch", height=360, key="history_table",
        column_config={
            "id": st.column_config.NumberColumn(t("history.col_upload"), format="#%d"),
            "uploaded_at": st.column_config.DatetimeColumn(t("history.col_when"), format="YYYY-MM-DD HH:mm"),
            "uploaded_by": t("history.col_who"), "file_name": t("history.col_file"), "theme": t("col.theme"),
            "period": t("col.period"), "sector": t("col.sector"), "row_count": t("history.col_rows"),
            "warning_count": t("history.col_warnings"), "outcome": t("history.col_outcome"),
            "superseded_by": t("history.col_superseded_by"),
            "sha256": "sha256",
        },
    )  # fmt: skip
    st.caption(t("history.shown", n=len(view), m=len(h)))

    st.subheader(t("history.one_upload"))
    ids = view["id"].tolist()
    if not ids:
        return
    # the label leaves out the outcome, so that it does not change under the user after an undo
    labels = dict(
        zip(view["id"], view["file_name"] + " - " + view["theme"] + " " + view["period"] + " " + view["sector"],
            strict=True)
    )  # fmt: skip
    upload_id = st.selectbox(
        t("history.col_upload"), ids, key="history_upload", format_func=lambda i: f"#{i} {labels[i]}"
    )
    if st.session_state.get(CONFIRM) not in (None, int(upload_id)):
        _cancel()  # a confirmation belongs to the upload it was asked for
    _details(int(upload_id), who)

    st.subheader(t("history.events"))
    st.caption(t("history.events_caption"))
    events = read("uploads.events")
    if not emails:
        events = events.assign(actor=[ident.email_or_hidden(x, allowed=False) for x in events["actor"]])
    data_table(
        events, hide_index=True, width="stretch", height=300, key="history_events",
        column_config={
            "version": t("history.col_version"),
            "upload_id": st.column_config.NumberColumn(t("history.col_upload"), format="#%d"),
            "happened_at": st.column_config.DatetimeColumn(t("history.col_when"), format="YYYY-MM-DD HH:mm:ss"),
            "action": t("history.col_action"), "actor": t("history.col_who"), "detail": t("history.col_detail"),
        },
    )  # fmt: skip


main()
