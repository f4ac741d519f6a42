"""Upload: download a pre-filled template, upload workbooks, see every problem, preview, load.

The same code as `python -m etl load`: etl.load.check validates, etl.load.load_bytes loads.
Nothing is written to the database before the "Load" button; what a file would change is
shown first (etl.preview against the live report read through isc.db.uploads).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from etl import annotate, load, preview
from etl.reference import Reference
from etl.template import template_bytes
from etl.validate import Issue, Validation
from isc import auth
from isc import status as rule
from isc.db import connection, uploads
from isc.periods import Period
from pages import identity as ident
from pages.common import filters
from pages.identity import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIODS_OFFERED = 8  # quarters offered for a template: the current one and the 7 before


@dataclass
class Checked:
    """One uploaded file after validation (and preview when valid). Kept in session_state."""

    name: str
    data: bytes
    sha256: str
    validation: Validation
    annotated: bytes | None = None
    live: uploads.LiveReport | None = None
    preview: preview.Preview | None = None
    refusal: str | None = None

    @property
    def live_id(self) -> int | None:
        return self.live.upload_id if self.live else None

    @property
    def unchanged(self) -> bool:
        return self.live is not None and self.live.sha256 == self.sha256


@st.cache_data(show_spinner=False, max_entries=64)
def _template(theme: str, period: str, sector: str, fingerprint: tuple) -> tuple[bytes, str | None]:
    prefill = uploads.prefill_report(theme, period, sector)
    data = template_bytes(Reference.load(), theme, period, sector, prefill)
    return data, prefill.header.get("prefilled_from") if prefill else None


def check_file(name: str, data: bytes, ref: Reference, who: auth.Identity) -> Checked:
    """Validate one uploaded file; annotate it when it has issues; preview it when it is valid."""
    result = load.check(data, ref)
    checked = Checked(name, data, hashlib.sha256(data).hexdigest(), result)
    readable = not any(i.sheet == "(file)" for i in result.issues)
    if result.issues and readable:
        try:
            checked.annotated = annotate.annotate(data, result.issues)
        except ValueError:
            checked.annotated = None
    if result.ok:
        theme, period, sector = result.report.key
        checked.refusal = who.refusal(theme, sector)
        if checked.refusal is None:
            checked.live = uploads.live_report(theme, period, sector)
            checked.preview = preview.compare(
                result.report, checked.live.report if checked.live else None, Period.parse(period).end
            )
    return checked


def _issue_table(issues: list[Issue], kind: str) -> pd.DataFrame:
    """kind names the problem column: "Error" or "Warning"."""
    return pd.DataFrame(
        [
            {
                "Sheet": i.sheet,
                "Cell": i.cell or (f"row {i.row}" if i.row else ""),
                "Value": i.value,
                "Expected": i.expected,
                kind: i.message,
                "How to fix": i.fix,
            }
            for i in issues
        ],
        columns=["Sheet", "Cell", "Value", "Expected", kind, "How to fix"],
    )


def _show(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _changes_table(changes: list[preview.Change], id_label: str, name_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                id_label: c.ref,
                name_label: c.label,
                "Field": c.field,
                "Before": _show(c.old),
                "After": _show(c.new),
            }
            for c in changes
        ],
        columns=[id_label, name_label, "Field", "Before", "After"],
    )


def _rows_table(rows: list[dict], keys: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{label: _show(r.get(k)) for k, label in keys.items()} for r in rows], columns=list(keys.values())
    )


# --- 1. template ---------------------------------------------------------------------------


def template_section(ref: Reference, who: auth.Identity) -> None:
    st.subheader("1. Download a pre-filled template")
    shared = filters()
    themes = [t for t in ref.reportable_themes if who.is_admin or "*" in who.themes or t in who.themes]
    sectors = [s for s in ref.sector_codes if who.is_admin or "*" in who.sectors or s in who.sectors]
    if not themes or not sectors:
        st.info(f"You may upload {who.scope()}.")
        return
    now = Period.containing(dt.date.today())
    periods = [now]
    for _ in range(PERIODS_OFFERED - 1):
        periods.append(periods[-1].previous())
    periods = [str(p) for p in periods]
    default_period = shared.get("period") if shared.get("period") in periods else str(now.previous())
    c1, c2, c3 = st.columns([3, 1, 1])
    theme = c1.selectbox(
        "Theme", themes, key="tpl_theme",
        index=themes.index(shared["theme"]) if shared.get("theme") in themes else 0,
        format_func=lambda c: f"{c} - {ref.reportable_themes[c]}",
    )  # fmt: skip
    period = c2.selectbox("Period", periods, key="tpl_period", index=periods.index(default_period))
    sector = c3.selectbox(
        "Reporting sector",
        sectors,
        key="tpl_sector",
        index=sectors.index(shared["sector"]) if shared.get("sector") in sectors else 0,
    )
    data, source = _template(theme, period, sector, connection.fingerprint())
    if source:
        st.caption(
            f"Pre-filled with the activities and indicators of the {source} report (actual values "
            "as last reported): update the values, add or remove rows, and upload."
        )
    else:
        st.caption(
            "No earlier report of this theme for this sector: the template is blank, with the "
            "reference lists as dropdowns."
        )
    st.download_button(
        "Download the template", data, file_name=f"ISC_{theme}_{period}_{sector}.xlsx", mime=XLSX,
        icon=":material/download:", key="tpl_download",
    )  # fmt: skip


# --- 2-4. upload, validation report, preview, load -----------------------------------------


def _process(files, ref: Reference, who: auth.Identity) -> list[tuple[str, Checked]]:
    """Check the uploaded files not checked yet (with a progress bar); same file twice = once."""
    cache: dict[str, Checked] = st.session_state.setdefault("upload_checked", {})
    out, todo = [], []
    for f in files:
        data = f.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        key = f"{sha}:{f.name}:{who.user}"
        if key in out:
            continue
        out.append(key)
        if key not in cache:
            todo.append((key, f.name, data))
    if todo:
        with st.status(f"Checking {len(todo)} file(s)...", expanded=True) as box:
            bar = st.progress(0.0)
            for n, (key, name, data) in enumerate(todo, start=1):
                st.write(f"Checking {md(name)}")
                cache[key] = check_file(name, data, ref, who)
                bar.progress(n / len(todo), text=f"{n} of {len(todo)} checked")
            box.update(label=f"Checked {len(todo)} file(s)", state="complete", expanded=False)
    return [(k, cache[k]) for k in out]


def _validation_report(c: Checked, tag: str) -> None:
    v = c.validation
    errors, warnings = v.errors, v.warnings
    if errors:
        st.error(
            f"**{len(errors)} error(s)**: this file cannot be loaded until they are fixed. "
            f"{len(warnings)} warning(s).",
            icon=":material/error:",
        )
        st.markdown("**Errors** (must be fixed)")
        st.dataframe(_issue_table(errors, "Error"), hide_index=True, width="stretch", key=f"errors_{tag}")
    elif warnings:
        st.success(
            f"No errors. {len(warnings)} warning(s): values that were read and normalised; "
            "the file can be loaded as it is.",
            icon=":material/check_circle:",
        )
    else:
        st.success("No errors and no warnings.", icon=":material/check_circle:")
    if warnings:
        st.markdown("**Warnings** (the file loads; check that each value was read as you meant)")
        st.dataframe(
            _issue_table(warnings, "Warning"), hide_index=True, width="stretch", key=f"warnings_{tag}"
        )
    if c.annotated:
        stem = c.name.rsplit(".", 1)[0]
        st.download_button(
            "Download your file with the problems marked", c.annotated, file_name=f"{stem}_checked.xlsx",
            mime=XLSX, icon=":material/download:", key=f"annotated_{tag}",
            help="Errors in red, warnings in amber, a comment on each cell, and a first sheet "
                 "'Problems' listing them all.",
        )  # fmt: skip


def _preview_section(c: Checked, tag: str) -> None:
    p = c.preview
    st.markdown("**What loading this file changes**")
    if c.live:
        st.caption(
            f"Compared with upload #{c.live.upload_id} ({md(c.live.file_name)}, by {md(c.live.uploaded_by)}, "
            f"{c.live.uploaded_at:%Y-%m-%d %H:%M}), the report loaded now for {' '.join(p.key)}."
        )
    for line in p.summary():
        st.markdown(f"- {line}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Computed status",
        rule.LABELS[p.status_new],
        delta=f"was {rule.LABELS[p.status_old]}" if p.status_changed else None,
        delta_color="off",
    )
    m2.metric("New activities", len(p.activities_new))
    m3.metric("Changed activities", len(p.activities_changed))
    m4.metric("Removed activities", len(p.activities_removed))
    act_cols = {
        "activity_id": "Activity ID",
        "title": "Title",
        "status": "Status",
        "percent_complete": "Percent complete",
    }
    if p.activities_new and not p.is_new_report:
        st.markdown("New activities")
        st.dataframe(_rows_table(p.activities_new, act_cols), hide_index=True, key=f"p_an_{tag}")
    if p.activity_changes:
        st.markdown("Changed activities")
        st.dataframe(
            _changes_table(p.activity_changes, "Activity ID", "Title"), hide_index=True, key=f"p_ac_{tag}"
        )
    if p.activities_removed:
        st.markdown("Removed activities (not in this file; they will no longer be reported)")
        st.dataframe(_rows_table(p.activities_removed, act_cols), hide_index=True, key=f"p_ar_{tag}")
    if p.indicator_changes:
        st.markdown("Indicator values")
        st.dataframe(
            _changes_table(p.indicator_changes, "Indicator ID", "Name"), hide_index=True, key=f"p_ic_{tag}"
        )
    ind_cols = {"indicator_id": "Indicator ID", "name": "Name", "actual": "Actual", "target": "Target"}
    if p.indicators_new and not p.is_new_report:
        st.markdown("New indicators")
        st.dataframe(_rows_table(p.indicators_new, ind_cols), hide_index=True, key=f"p_in_{tag}")
    if p.indicators_removed:
        st.markdown("Removed indicators")
        st.dataframe(_rows_table(p.indicators_removed, ind_cols), hide_index=True, key=f"p_ir_{tag}")
    if p.header_changes:
        st.markdown("Report")
        st.dataframe(_changes_table(p.header_changes, "ID", "Part"), hide_index=True, key=f"p_h_{tag}")


def _load(c: Checked, key: str, ref: Reference, who: auth.Identity) -> None:
    """The Load button: the one write, through the same etl.load.load_bytes as the CLI."""
    if c.refusal or not c.validation.ok:  # the button is not shown then; never load anyway
        return
    try:
        outcome = load.load_bytes(c.data, c.name, uploaded_by=who.user, ref=ref, expected_live=c.live_id)
    except connection.DatabaseBusy:
        outcome = load.Outcome(
            c.name,
            c.sha256,
            "conflict",
            "not loaded: the database stayed busy (another load was running); press Load again in a moment",
        )
    st.session_state.setdefault("upload_outcomes", {})[key] = outcome
    if outcome.outcome == "conflict":  # check again against the report that is live now
        st.session_state.get("upload_checked", {}).pop(key, None)


def file_section(n: int, key: str, c: Checked, ref: Reference, who: auth.Identity) -> None:
    with st.container(border=True, key=f"upload_file_{n}"):
        st.markdown(f"#### {md(c.name)}")
        st.caption(f"sha256 {c.sha256} · {len(c.data):,} bytes")
        outcome = st.session_state.get("upload_outcomes", {}).get(key)
        if outcome is not None and outcome.outcome in ("loaded", "unchanged"):
            st.success(f"{outcome.outcome.capitalize()}: {md(outcome.message)}.", icon=":material/task_alt:")
            st.page_link(
                "pages/history.py",
                label="See it in the upload history (download, undo)",
                icon=":material/history:",
            )
            return
        if outcome is not None and outcome.outcome == "conflict":
            st.warning(md(outcome.message), icon=":material/sync_problem:")
        _validation_report(c, str(n))
        if not c.validation.ok:
            return
        if c.refusal:
            st.error(md(c.refusal), icon=":material/block:")
            return
        if c.unchanged:
            st.info(
                f"This exact file is already loaded (upload #{c.live.upload_id}); there is nothing to load."
            )
            return
        _preview_section(c, str(n))
        st.button(
            f"Load {md(c.name)}",
            key=f"load_{n}",
            type="primary",
            icon=":material/upload:",
            on_click=_load,
            args=(c, key, ref, who),
        )


def upload_section(ref: Reference, who: auth.Identity) -> None:
    st.subheader("2. Upload your workbooks")
    if not who.may_upload_anything:
        st.info(f"You may upload {who.scope()}.")
        return
    files = st.file_uploader(
        "Theme report workbooks (.xlsx); several at once if you like", type=["xlsx"],
        accept_multiple_files=True, key="upload_files",
        help="Every problem in every file is listed at once. Nothing is loaded before you press Load.",
    )  # fmt: skip
    if not files:
        st.caption(
            "Each file is checked in full: every error and warning is listed, and you can download "
            "your file with the faulty cells highlighted. Then you see what the file changes, and "
            "load it with the Load button."
        )
        return
    checked = _process(files, ref, who)
    st.subheader("3. Check and load")
    ok = sum(1 for _, c in checked if c.validation.ok and not c.refusal)
    st.caption(f"{len(checked)} file(s): {ok} can be loaded, {len(checked) - ok} cannot.")
    for n, (key, c) in enumerate(checked):
        file_section(n, key, c, ref, who)
    done = st.session_state.get("upload_outcomes", {})
    ready = [(key, c) for key, c in checked if _loadable(c) and getattr(done.get(key), "outcome", None)
             not in ("loaded", "unchanged")]  # fmt: skip
    if len(ready) > 1:
        st.button(f"Load all {len(ready)} files that can be loaded", key="load_all", icon=":material/upload:",
                  on_click=_load_all, args=(ready, ref, who))  # fmt: skip


def _loadable(c: Checked) -> bool:
    return c.validation.ok and not c.refusal and not c.unchanged


def _load_all(ready: list[tuple[str, Checked]], ref: Reference, who: auth.Identity) -> None:
    for key, c in ready:
        _load(c, key, ref, who)


def main() -> None:
    st.title("Upload theme reports")
    who = ident.current()
    ident.banner(who)
    ref = Reference.load()
    template_section(ref, who)
    st.divider()
    upload_section(ref, who)


main()
