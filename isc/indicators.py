"""How an indicator's values from several Sectors add up to one figure for the theme.

Sectors report the same indicator (same ID) for a theme, each its own value. Adding them is right
for some units (participants, publications) and wrong for others: percentages do not add, and
"Member States reached" by three Sectors is at least the largest figure, never the sum (there are
194). Each indicator row may say how it combines (the template's "Combine across Sectors"
column); a blank takes the default of its unit (data/reference/units.csv, table `unit`):

  sum         the Sectors' values added (targets and baselines too)
  maximum     the largest Sector value: a lower bound of the union (Member States reached)
  average     the mean of the Sectors that reported (percentages)
  per_sector  not combinable: each Sector's value is shown, and no total

A unit with a bound (percent 100, Member States 194) never shows more than the bound: the
validator refuses such a value, and a combined figure is capped.
"""

from __future__ import annotations

import pandas as pd

SUM, MAXIMUM, AVERAGE, PER_SECTOR = "sum", "maximum", "average", "per_sector"
COMBINATIONS = (SUM, MAXIMUM, AVERAGE, PER_SECTOR)
# The template's choices (etl.spec.COMBINE_CHOICES) -> codes.
_FROM_LABEL = {"Sum": SUM, "Maximum": MAXIMUM, "Average": AVERAGE, "Per Sector only": PER_SECTOR}
_AGG = {SUM: "sum", MAXIMUM: "max", AVERAGE: "mean"}


def combine_code(label: str | None) -> str | None:
    """The code for a template choice; None for a blank (the unit's default applies)."""
    if label is None or str(label).strip() == "":
        return None
    return _FROM_LABEL.get(str(label).strip(), str(label).strip() if label in COMBINATIONS else None)


def combined(df: pd.DataFrame) -> pd.DataFrame:
    """Theme totals per (indicator, period) where they mean something.

    `df`: one row per Sector's value, with columns indicator_id, name, unit, period, sector,
    baseline, target, actual, combine (the effective code) and bound (NaN when unbounded).
    Returns indicator_id, name, unit, period, combine, baseline, target, actual, sectors
    (how many Sectors' values went in), capped (True where the bound cut the figure); indicators
    whose combination is per_sector are left out.
    """
    cols = ["indicator_id", "name", "unit", "period", "combine", "baseline", "target", "actual", "sectors",
            "capped"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    keep = df[df["combine"].isin(_AGG)]
    out = []
    for (ind, period), g in keep.groupby(["indicator_id", "period"], sort=False):
        how = g["combine"].iloc[0]
        agg = _AGG[how]
        row = {"indicator_id": ind, "name": g["name"].iloc[0], "unit": g["unit"].iloc[0], "period": period,
               "combine": how, "sectors": int(g["actual"].notna().sum())}
        for col in ("baseline", "target", "actual"):
            values = g[col].dropna()
            row[col] = float(values.agg(agg)) if len(values) else None
        bound = g["bound"].dropna()
        row["capped"] = False
        if len(bound):
            limit = float(bound.iloc[0])
            for col in ("baseline", "target", "actual"):
                if row[col] is not None and row[col] > limit:
                    row[col], row["capped"] = limit, True
        out.append(row)
    return pd.DataFrame(out, columns=cols)


def period_table(df: pd.DataFrame, period: str) -> pd.DataFrame:
    """One row per indicator in `period`: name, unit, each Sector's actual value (a column per
    Sector), the theme figure (`theme`, blank where the indicator does not combine) and `combine`."""
    now = df[df["period"] == period]
    if now.empty:
        return pd.DataFrame(columns=["name", "unit", "theme", "combine"])
    wide = now.pivot_table(index=["indicator_id", "name", "unit"], columns="sector", values="actual",
                           aggfunc="first", sort=False).reset_index()
    wide.columns.name = None
    how = now.groupby("indicator_id", sort=False)["combine"].first()
    totals = combined(now).set_index("indicator_id")["actual"]
    wide["theme"] = wide["indicator_id"].map(totals)
    wide["combine"] = wide["indicator_id"].map(how)
    return wide.drop(columns="indicator_id")
