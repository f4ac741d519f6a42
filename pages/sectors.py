"""Sectors: what each Sector (and the GS) takes part in, what it leads, and who works with whom."""

import streamlit as st

from isc.filters import Filters
from pages.common import as_of_text, data_table, figure, filters, md, q, reflow, show_chart, status_texts, t

f = filters()
period = f["period"]
sel = Filters(period, track=f["track"], theme=f["theme"])  # every Sector is shown: no sector filter
st.title(t("sectors.title", period=period or t("common.no_data")))
if not period:
    st.info(t("common.no_report_yet"))
    st.stop()
as_of = as_of_text()
codes = q("sectors")["code"].tolist()
summary = q("sector_summary", sel)

# Compare two sectors side by side (ITU-D and ITU-T by default; the sidebar sector comes first).
default = [f["sector"]] if f["sector"] else ["ITU-D", "ITU-T"]
default = [c for c in default if c in codes] or codes[:2]
compare = st.multiselect(
    t("sectors.compare"), codes, default=default, key=f"sectors_compare_{f['sector']}", max_selections=4
)
with reflow("sectors_cards", 360):
    cards = st.columns(max(1, len(compare)))
for col, code in zip(cards, compare, strict=False):
    row = summary[summary["sector"] == code].iloc[0]
    with col, st.container(border=True):
        st.subheader(f"{code}: {md(row['name'])}")
        a, b, c = st.columns(3)
        a.metric(t("nav.themes"), int(row["themes"]))
        b.metric(t("sectors.reports_received_of"),
                 t("common.n_of_m", n=int(row["reports_received"]), m=int(row["reports_owed"])))
        c.metric(t("sectors.led"), int(row["led"]))
        a.metric(t("sectors.joint"), int(row["joint"]))
        b.metric(t("sectors.partner"), int(row["partnered"]))
        rs = q("report_status", sel.but(sector=code))
        data_table(
            rs.assign(status=status_texts(rs["computed_status"]))[["theme_name", "status"]],
            hide_index=True,
            height=240,
            key=f"sectors_themes_{code}",
            column_config={"theme_name": t("col.theme"), "status": t("col.status")},
        )

sel_sectors = compare or codes
with reflow("sectors_charts", 460):
    left, right = st.columns(2)
with left:
    part = q("sector_participation", sel)
    part = part[part["sector"].isin(sel_sectors)]
    show_chart(figure("sector_participation", part, as_of, height=420, width=460), part, "sectors_participation")
with right:
    mix = q("sector_status_mix", sel)
    mix = mix[mix["sector"].isin(sel_sectors)]
    show_chart(
        figure("status_mix", mix, as_of, "sector", t("sectors.mix_title"), "report", height=420, width=460),
        mix,
        "sectors_mix",
    )
matrix = q("sector_matrix", sel)
show_chart(figure("sector_matrix", matrix, as_of, codes, height=460, width=480), matrix, "sectors_matrix")
