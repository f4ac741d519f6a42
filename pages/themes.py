"""Themes: one theme in depth. Reference facts, status (computed beside self-assessed, and why),
status history, indicators against target and baseline, activities, results and risks."""

import streamlit as st

from isc.filters import Filters
from pages.common import (
    as_of_text,
    column_labels,
    data_table,
    derived,
    explain_status,
    figure,
    filters,
    md,
    q,
    reflow,
    show_chart,
    status_text,
    status_texts,
    t,
)
from pages.identity import hide_emails

f = filters()
period = f["period"]
themes = q("themes")
if f["track"]:
    themes = themes[themes["track"] == f["track"]]
if themes.empty:
    st.title(t("themes.title"))
    st.info(t("themes.none"))
    st.stop()
codes = themes["code"].tolist()
names = dict(zip(themes["code"], themes["name"], strict=True))
# One theme selection: the picker on this page is the sidebar's Theme filter (filter_theme, kept in
# the URL as ?theme= by dashboard.py), so a link opens the theme it names and every page agrees.
theme = f["theme"] if f["theme"] in codes else codes[0]


def _pick() -> None:
    st.session_state["filter_theme"] = st.session_state["themes_pick"]


st.session_state["themes_pick"] = theme
st.selectbox(
    t("filter.theme"),
    codes,
    format_func=lambda c: names.get(c, c),
    key="themes_pick",
    on_change=_pick,
    help=t("themes.pick_help"),
)
info = q("theme_detail", theme)
as_of = as_of_text()
sector = f["sector"]

st.title(md(info["name"]))
st.caption(
    t("themes.caption_period", period=period or "—")
    + " · "
    + (t("themes.caption_sector", sector=sector) if sector else t("themes.caption_all_sectors"))
    + f" · {as_of}"
)

status = q("report_status", Filters(period, theme=theme, sector=sector)) if period else None
ts = q("theme_status", Filters(period, theme=theme, sector=sector)) if period else None
with reflow("themes_boxes", 210):
    c1, c2, c3, c4 = st.columns(4)
c1.metric(t("filter.track"), info["track_name"])
c2.metric(t("themes.supervised_by"), info["body_name"] or info["supervising_body"] or t("themes.web_platform"))
if ts is not None and not ts.empty:
    computed, self_status = ts["computed_status"].iloc[0], ts["self_status"].iloc[0]
    c3.metric(t("themes.computed_status"), status_text(computed))
    c4.metric(t("themes.self_status"), status_text(self_status))
    if computed != self_status:
        st.warning(
            t("themes.disagree", computed=status_text(computed), self_status=status_text(self_status)),
            icon=":material/compare_arrows:",
        )
    explain_status(
        theme,
        period,
        sector,
        label=t("themes.why", status=status_text(computed).lower()),
    )

with reflow("themes_status", 440):
    left, right = st.columns([1, 1])
with left:
    st.subheader(t("themes.status_per_sector"))
    if status is not None and not status.empty:
        view = status.assign(
            computed=status_texts(status["computed_status"]),
            self_assessed=status_texts(status["self_status"]),
            agree=(status["computed_status"] == status["self_status"]).map(
                {True: t("themes.agree_yes"), False: t("themes.agree_no")}
            ),
        )
        data_table(
            view[["sector", "computed", "self_assessed", "agree", "focal_point"]],
            hide_index=True,
            key="themes_status_table",
            column_config={
                "sector": t("col.sector"),
                "computed": t("col.computed"),
                "self_assessed": t("col.self_assessed"),
                "agree": t("col.agree"),
                "focal_point": t("col.focal_point"),
            },
        )
    hist = q("status_history", theme)
    if sector:
        hist = hist[hist["sector"] == sector]
    show_chart(figure("status_history", hist, as_of, width=440), hist, "themes_history")
with right:
    st.subheader(t("themes.focal_and_resolutions"))
    fp = info["focal_points"]
    fp = hide_emails(fp, ["email"])  # e-mail addresses for signed-in users only (issue 18)
    data_table(
        fp[fp["sector"] == sector] if sector else fp,
        hide_index=True,
        key="themes_focal",
        column_config=column_labels(fp.columns),
    )
    res = info["resolutions"]
    st.markdown(t("themes.linked_resolutions", n=len(res)))
    data_table(
        res,
        hide_index=True,
        key="themes_resolutions",
        column_config=column_labels(res.columns) | {"confirmed": t("col.link_status")},
    )
    risks = q("risks", theme, period)
    if sector:
        risks = risks[risks["sector"] == sector]
    st.markdown(t("themes.risks", n=len(risks)))
    risks = risks.drop(columns=["theme", "period"])
    data_table(risks, hide_index=True, key="themes_risks", column_config=column_labels(risks.columns))

ind = q("indicator_history", theme)
if sector:
    ind = ind[ind["sector"] == sector]
show_chart(
    figure("indicator_chart", ind, as_of, width=480),
    ind,
    "themes_indicators",
    ["period", "sector", "name", "unit", "baseline", "target", "target_date", "actual", "status", "combine"],
)
if period and not ind.empty:
    table = derived("isc.indicators.period_table", ind, period)
    if not table.empty:
        st.markdown(t("themes.indicators_table", period=period))
        table["combine"] = table["combine"].map(lambda c: t(f"themes.combine.{c}"))
        data_table(
            table,
            hide_index=True,
            key="themes_indicator_table",
            column_config={"name": t("col.indicator"), "unit": t("col.unit"), "theme": t("col.theme_figure"),
                           "combine": t("col.combine")},
        )

left, right = st.columns([3, 2])
with left:
    acts = q("activities", period, theme) if period else None
    if acts is not None and sector:
        acts = acts[(acts["lead_sector"] == sector) | (acts["reported_by"] == sector)]
    st.subheader(t("themes.activities", n=0 if acts is None else len(acts)))
    if acts is not None:
        view = acts.assign(
            partners=acts["partners"].map(lambda v: ", ".join(v) if v is not None else ""),
            joint_with=acts["joint_with"].map(lambda v: ", ".join(v) if v is not None else ""),
        )
        data_table(
            view[
                [
                    "reported_by",
                    "activity_id",
                    "title",
                    "lead_sector",
                    "partners",
                    "joint_with",
                    "status",
                    "end_date",
                    "percent_complete",
                ]
            ],
            hide_index=True,
            key="themes_activities",
            column_config=column_labels(view.columns)
            | {
                "percent_complete": st.column_config.ProgressColumn(
                    t("col.done"), format="%d%%", min_value=0, max_value=100
                )
            },
        )
with right:
    res = q("results", Filters(theme=theme))
    if sector:
        res = res[res["sector"] == sector]
    st.subheader(t("themes.results", n=len(res)))
    data_table(
        res[["period", "sector", "title", "description"]],
        hide_index=True,
        key="themes_results",
        column_config=column_labels(["period", "sector", "title", "description"]),
    )
