"""Upload: download a pre-filled template, upload workbooks, see every problem, preview, load.

The same path as `python -m etl load`: etl.service.prepare hashes, reads and validates a file
once and computes its preview; etl.service.load stores exactly that. This page only keeps the
Prepared object (st.session_state, by the file's sha256) and shows it. Nothing is written to the
database before the "Load" button; what a file would change is shown first (etl.preview against
the live report it would replace, and against last quarter's report of the same theme and
Sector, both read through isc.db.uploads at one data version).
The uploader takes any file: what is not an .xlsx report gets the validator's plain message
(the same as `python -m etl load`), in the interface language.
"""

from __future__ import annotations

import datetime as dt
import inspect

import duckdb
import pandas as pd
import streamlit as st

from etl import annotate, load, preview, service
from etl.reference import Reference
from etl.service import Prepared
from etl.template import template_bytes
from etl.validate import Issue
from isc import auth
from isc.charts import status_label
from isc.db import connection
from isc.periods import Period
from pages import identity as ident
from pages.common import data_table, filters, lang, read, t
from pages.identity import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIODS_OFFERED = 8  # quarters offered for a template: the current one and the 7 before
# The template writer takes the interface language when it can (etl.template, `lang`).
TEMPLATE_TAKES_LANG = "lang" in inspect.signature(template_bytes).parameters


@st.cache_data(show_spinner=False, max_entries=64)
def _template(theme: str, period: str, sector: str, fingerprint: tuple, language: str = "en") -> tuple[bytes, dict]:
    """The template for a report in the interface language, and where its content comes from:
    the report loaded now for that quarter when there is one (a correction starts from what is
    live, so that nothing of it is lost by accident), else last period's activities and indicators."""
    live = read("uploads.live_report", theme, period, sector)
    if live is not None:
        prefill = live.report
        source = {"live": live.upload_id, "file": live.file_name, "by": live.uploaded_by, "when": live.uploaded_at}
    else:
        prefill = read("uploads.prefill_report", theme, period, sector)
        source = {"period": prefill.header.get("prefilled_from")} if prefill else {}
    extra = {"lang": language} if TEMPLATE_TAKES_LANG else {}
    return template_bytes(Reference.load(), theme, period, sector, prefill, **extra), source


def _issue_table(issues: list[Issue], kind: str) -> pd.DataFrame:
    """kind names the problem column: t("upload.error") or t("upload.warning")."""
    cols = [t("upload.col_sheet"), t("upload.col_cell"), t("upload.col_value"), t("upload.col_expected"), kind,
            t("upload.col_fix")]  # fmt: skip
    return pd.DataFrame(
        [
            dict(
                zip(
                    cols,
                    [
                        i.sheet,
                        i.cell or (t("upload.row", row=i.row) if i.row else ""),
                        i.text("value", lang()),
                        i.text("expected", lang()),
                        i.text("message", lang()),
                        i.text("fix", lang()),
                    ],
                    strict=True,
                )
            )
            for i in issues
        ],
        columns=cols,
    )


def _show(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _changes_table(changes: list[preview.Change], id_label: str, name_label: str) -> pd.DataFrame:
    field, before, after = t("upload.col_field"), t("upload.col_before"), t("upload.col_after")
    return pd.DataFrame(
        [
            {
                id_label: c.ref,
                name_label: c.label,
                field: c.field,
                before: _show(c.old),
                after: _show(c.new),
            }
            for c in changes
        ],
        columns=[id_label, name_label, field, before, after],
    )


def _rows_table(rows: list[dict], keys: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{label: _show(r.get(k)) for k, label in keys.items()} for r in rows], columns=list(keys.values())
    )


# --- 1. template ---------------------------------------------------------------------------


def template_section(ref: Reference, who: auth.Identity) -> None:
    st.subheader(t("upload.step1"))
    shared = filters()
    themes = [c for c in ref.reportable_themes if any(who.may(auth.TEMPLATE, theme=c, sector=s) for s in ref.sector_codes)]
    sectors = [s for s in ref.sector_codes if any(who.may(auth.TEMPLATE, theme=c, sector=s) for c in themes)]
    if not themes or not sectors:
        st.info(t("upload.you_may", scope=ident.scope_text(who)))
        return
    now = Period.containing(dt.date.today())
    periods = [now]
    for _ in range(PERIODS_OFFERED - 1):
        periods.append(periods[-1].previous())
    periods = [str(p) for p in periods]
    default_period = shared.get("period") if shared.get("period") in periods else str(now.previous())
    c1, c2, c3 = st.columns([3, 1, 1])
    theme = c1.selectbox(
        t("filter.theme"), themes, key="tpl_theme",
        index=themes.index(shared["theme"]) if shared.get("theme") in themes else 0,
        format_func=lambda c: f"{c} - {ref.reportable_themes[c]}",
    )  # fmt: skip
    period = c2.selectbox(t("filter.period"), periods, key="tpl_period", index=periods.index(default_period))
    sector = c3.selectbox(
        t("upload.reporting_sector"),
        sectors,
        key="tpl_sector",
        index=sectors.index(shared["sector"]) if shared.get("sector") in sectors else 0,
    )
    data, source = _template(theme, period, sector, connection.fingerprint(), lang())
    if source.get("live"):
        st.caption(t("upload.prefilled_live", id=source["live"], file=md(source["file"]), by=md(source["by"]),
                     when=_when(source["when"])))  # fmt: skip
    elif source:
        st.caption(t("upload.prefilled", source=source["period"]))
    else:
        st.caption(t("upload.blank"))
    st.download_button(
        t("upload.download_template"), data, file_name=f"ISC_{theme}_{period}_{sector}.xlsx", mime=XLSX,
        icon=":material/download:", key="tpl_download",
    )  # fmt: skip


# --- 2-4. upload, validation report, preview, load -----------------------------------------


def _process(files, ref: Reference, who: auth.Identity) -> list[tuple[str, Prepared]]:
    """Prepare the uploaded files not prepared yet (with a progress bar), each kept by its sha256
    until it is loaded (prepare hashes it: the page never does); the same file twice is shown once."""
    cache: dict[str, Prepared] = st.session_state.setdefault("upload_checked", {})
    shas: dict[str, str] = st.session_state.setdefault("upload_file_sha", {})  # uploader's file_id -> sha256
    todo = []
    for f in files:
        known = cache.get(shas.get(f.file_id, ""))
        if known is None or known.checked_for != who.user:
            todo.append(f)
    if todo:
        with st.status(t("upload.checking_n", n=len(todo)), expanded=True) as box:
            bar = st.progress(0.0)
            for n, f in enumerate(todo, start=1):
                st.write(t("upload.checking", name=md(f.name)))
                prepared = service.prepare(f.getvalue(), f.name, ref, who=who)
                cache[prepared.sha256] = prepared
                shas[f.file_id] = prepared.sha256
                bar.progress(n / len(todo), text=t("upload.n_checked", n=n, m=len(todo)))
            box.update(label=t("upload.checked_n", n=len(todo)), state="complete", expanded=False)
    out = list(dict.fromkeys(shas[f.file_id] for f in files))
    return [(k, cache[k]) for k in out]


def _validation_report(c: Prepared, tag: str) -> None:
    v = c.validation
    errors, warnings = v.errors, v.warnings
    unreadable = c.unreadable
    if unreadable is not None:  # one plain sentence, as on the command line; no table of cells
        message = unreadable.text("message", lang())
        st.error(t("upload.unreadable", message=md(message[:1].upper() + message[1:])), icon=":material/error:")
        return
    if errors:
        st.error(t("upload.errors_summary", errors=len(errors), warnings=len(warnings)), icon=":material/error:")
        st.markdown(t("upload.errors_title"))
        data_table(
            _issue_table(errors, t("upload.error")), hide_index=True, width="stretch", key=f"errors_{tag}"
        )
    elif warnings:
        st.success(t("upload.warnings_only", warnings=len(warnings)), icon=":material/check_circle:")
    else:
        st.success(t("upload.clean"), icon=":material/check_circle:")
    if warnings:
        st.markdown(t("upload.warnings_title"))
        data_table(
            _issue_table(warnings, t("upload.warning")), hide_index=True, width="stretch", key=f"warnings_{tag}"
        )
    if c.not_marked:  # say why there is no marked copy
        if c.not_marked == "cells":
            st.caption(t("upload.too_large_to_mark", cells=f"{c.cells:,}", limit=f"{annotate.MAX_CELLS:,}"))
        elif c.not_marked in ("memory", "time"):
            st.caption(t("upload.not_marked"))
    if c.markable:  # the marked copy is made when the button is clicked, not before
        stem = c.file_name.rsplit(".", 1)[0]
        st.download_button(
            t("upload.download_marked"), lambda: c.annotated or b"", file_name=f"{stem}_checked.xlsx",
            mime=XLSX, icon=":material/download:", key=f"annotated_{tag}",
            help=t("upload.download_marked_help"),
        )  # fmt: skip


def _when(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


def _report_notice(c: Prepared) -> None:
    """What the upload does to the live reports: replaces one (who, when, which file, which id),
    or is the first for its theme, quarter and Sector."""
    theme, period, sector = c.preview.key
    if c.live:
        st.warning(
            t("upload.replace_notice", id=c.live.upload_id, by=md(c.live.uploaded_by), when=_when(c.live.uploaded_at),
              file=md(c.live.file_name), report=f"{theme} {period} {sector}"),
            icon=":material/swap_horiz:",
        )  # fmt: skip
    else:
        st.info(t("upload.first_report", report=f"{theme} {period} {sector}"), icon=":material/fiber_new:")


def _status_delta(p: preview.Preview) -> str | None:
    """The computed status's change in words: against the replaced report ("was On track"), else
    against last quarter's ("was Off track in 2025-Q2"); None when it does not move or there is
    nothing to compare with."""
    before, since = p.status_before
    if before == p.status_new or (p.is_new_report and since is None):
        return None
    if since:
        return t("upload.was_in", status=status_label(before, lang()), period=since)
    return t("upload.was", status=status_label(before, lang()))


def _preview_section(c: Prepared, tag: str) -> None:
    p = c.preview
    st.markdown(t("upload.changes_title"))
    _report_notice(c)
    for line in p.summary_in(lang()):
        st.markdown(f"- {line}")
    # the counts: against the replaced report, else (a new quarter) against last quarter's
    basis = p.previous if p.is_new_report and p.previous else p
    since = basis.baseline_period
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("themes.computed_status"), status_label(p.status_new, lang()), delta=_status_delta(p),
              delta_color="off", delta_arrow="off")  # fmt: skip
    if since:
        m2.metric(t("upload.new_activities_since", period=since), len(basis.activities_new))
        m3.metric(t("upload.changed_activities_since", period=since), len(basis.activities_changed))
        m4.metric(t("upload.removed_activities_since", period=since), len(basis.activities_removed))
    else:
        m2.metric(t("upload.new_activities"), len(p.activities_new))
        m3.metric(t("upload.changed_activities"), len(p.activities_changed))
        m4.metric(t("upload.removed_activities"), len(p.activities_removed))
    _comparison_tables(p, tag)
    if p.previous is None:
        return
    prev = c.previous
    title = t("upload.since_title", period=p.previous.baseline_period, id=prev.upload_id, file=md(prev.file_name),
              by=md(prev.uploaded_by), when=_when(prev.uploaded_at))  # fmt: skip
    if p.is_new_report:  # the comparison that says most about a new quarter's file: in full view
        st.markdown(title)
        _since_section(p.previous, f"{tag}_prev")
    else:
        with st.expander(t("upload.since_expander", period=p.previous.baseline_period, id=prev.upload_id)):
            st.markdown(title)
            _since_section(p.previous, f"{tag}_prev")


def _since_section(p: preview.Preview, tag: str) -> None:
    for line in p.summary_in(lang()):
        st.markdown(f"- {line}")
    _comparison_tables(p, tag)


def _comparison_tables(p: preview.Preview, tag: str) -> None:
    act_id, title = t("upload.col_activity_id"), t("upload.col_title")
    act_cols = {
        "activity_id": act_id,
        "title": title,
        "status": t("col.status"),
        "percent_complete": t("upload.col_percent"),
    }
    if p.activities_new and not p.is_new_report:
        st.markdown(t("upload.new_activities"))
        data_table(_rows_table(p.activities_new, act_cols), hide_index=True, key=f"p_an_{tag}")
    if p.activity_changes:
        st.markdown(t("upload.changed_activities"))
        data_table(_changes_table(p.activity_changes, act_id, title), hide_index=True, key=f"p_ac_{tag}")
    if p.activities_removed:
        st.markdown(t("upload.removed_activities_note"))
        data_table(_rows_table(p.activities_removed, act_cols), hide_index=True, key=f"p_ar_{tag}")
    ind_id, name = t("upload.col_indicator_id"), t("upload.col_name")
    if p.indicator_changes:
        st.markdown(t("upload.indicator_values"))
        data_table(_changes_table(p.indicator_changes, ind_id, name), hide_index=True, key=f"p_ic_{tag}")
    ind_cols = {"indicator_id": ind_id, "name": name, "actual": t("upload.col_actual"), "target": t("upload.col_target")}
    if p.indicators_new and not p.is_new_report:
        st.markdown(t("upload.new_indicators"))
        data_table(_rows_table(p.indicators_new, ind_cols), hide_index=True, key=f"p_in_{tag}")
    if p.indicators_removed:
        st.markdown(t("upload.removed_indicators"))
        data_table(_rows_table(p.indicators_removed, ind_cols), hide_index=True, key=f"p_ir_{tag}")
    if p.header_changes:
        st.markdown(t("upload.report"))
        data_table(
            _changes_table(p.header_changes, t("upload.col_id"), t("upload.col_part")), hide_index=True, key=f"p_h_{tag}"
        )


def _load(c: Prepared, key: str, ref: Reference, who: auth.Identity) -> None:
    """The Load button: the one write, etl.service.load of what the check prepared."""
    if not c.ok:  # the button is not shown then; never load anyway
        return
    who = ident.current()  # the rights of who is signed in now, not when the button was drawn
    theme, _, sector = c.validation.report.key
    if not who.may(auth.UPLOAD, theme=theme, sector=sector):
        c.refusal = who.refusal(theme, sector) or theme  # shown as a refusal on the rerun
        return
    try:
        outcome = service.load(c, who.actor, ref=ref, issuer=who.issuer, subject=who.subject)
    except (OSError, duckdb.Error) as exc:  # the server's disk or database file, not the report
        fault = load.fault(exc)
        if fault is None:
            raise
        outcome = load.Outcome(c.file_name, c.sha256, "failed", fault)
    except connection.DatabaseBusy:
        outcome = load.Outcome(c.file_name, c.sha256, "conflict", "upload.busy")
    st.session_state.setdefault("upload_outcomes", {})[key] = outcome
    if outcome.outcome == "conflict":  # check again against the report that is live now
        st.session_state.get("upload_checked", {}).pop(key, None)


def file_section(n: int, key: str, c: Prepared, ref: Reference, who: auth.Identity) -> None:
    with st.container(border=True, key=f"upload_file_{n}"):
        st.markdown(f"#### {md(c.file_name)}")
        st.caption(t("upload.file_caption", sha=c.sha256, size=f"{len(c.data):,}"))
        outcome = st.session_state.get("upload_outcomes", {}).get(key)
        if outcome is not None and outcome.outcome in ("loaded", "unchanged"):
            done = t("upload.outcome_loaded") if outcome.outcome == "loaded" else t("upload.outcome_unchanged")
            st.success(
                f"{done}: {md(outcome.message_in(lang()))}.",
                icon=":material/task_alt:",
            )
            st.page_link(
                "pages/history.py",
                label=t("upload.see_history"),
                icon=":material/history:",
            )
            return
        if outcome is not None and outcome.outcome == "conflict":
            st.warning(md(outcome.message_in(lang())), icon=":material/sync_problem:")
        if outcome is not None and outcome.outcome == "failed":  # disk full, read-only, locked
            st.error(md(outcome.message_in(lang())), icon=":material/error:")
        _validation_report(c, str(n))
        if not c.validation.ok:
            return
        if c.refusal:
            theme, _, sector = c.validation.report.key
            st.error(md(ident.refusal_text(who, theme, sector)), icon=":material/block:")
            return
        if c.unchanged:
            st.info(t("upload.already_loaded", id=c.live.upload_id))
            return
        _preview_section(c, str(n))
        st.button(
            t("upload.load", name=md(c.file_name)),
            key=f"load_{n}",
            type="primary",
            icon=":material/upload:",
            on_click=_load,
            args=(c, key, ref, who),
        )


def upload_section(ref: Reference, who: auth.Identity) -> None:
    st.subheader(t("upload.step2"))
    if not who.may_upload_anything:
        st.info(t("upload.you_may", scope=ident.scope_text(who)))
        return
    files = st.file_uploader(
        # any type: the validator says what is wrong with an .ods, .csv or .xls, in plain words
        t("upload.uploader"), type=None,
        accept_multiple_files=True, key="upload_files",
        help=t("upload.uploader_help"),
    )  # fmt: skip
    if not files:
        st.caption(t("upload.how"))
        return
    checked = _process(files, ref, who)
    st.subheader(t("upload.step3"))
    ok = sum(1 for _, c in checked if c.ok)
    st.caption(t("upload.files_summary", n=len(checked), ok=ok, not_ok=len(checked) - ok))
    for n, (key, c) in enumerate(checked):
        file_section(n, key, c, ref, who)
    done = st.session_state.get("upload_outcomes", {})
    ready = [(key, c) for key, c in checked if _loadable(c) and getattr(done.get(key), "outcome", None)
             not in ("loaded", "unchanged")]  # fmt: skip
    if len(ready) > 1:
        st.button(t("upload.load_all", n=len(ready)), key="load_all", icon=":material/upload:",
                  on_click=_load_all, args=(ready, ref, who))  # fmt: skip


def _loadable(c: Prepared) -> bool:
    return c.ok and not c.unchanged


def _load_all(ready: list[tuple[str, Prepared]], ref: Reference, who: auth.Identity) -> None:
    for key, c in ready:
        _load(c, key, ref, who)


def main() -> None:
    st.title(t("upload.title"))
    who = ident.current()
    ident.banner(who)
    ref = Reference.load()
    template_section(ref, who)
    st.divider()
    upload_section(ref, who)


main()
