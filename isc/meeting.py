"""The agenda of a coordination meeting, built from the data (pure pandas, no database).

Themes off track, or whose computed status changed since the last meeting of the same body,
come first (worst first); then every other theme, by track and name. "Since the last meeting"
compares the theme's status at this meeting's frozen data version with its status at the
previous meeting's frozen data version (each for the period that meeting discussed).
"""

from __future__ import annotations

import pandas as pd

from isc import status as rule


def agenda(current: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order the themes of `current` (theme_status rows) for discussion.

    Adds: previous_status (None without a previous meeting), changed, priority (0 = discuss first)
    and why_first (a short reason shown on the agenda).
    """
    df = current.copy()
    if previous is not None and not previous.empty:
        prev = dict(zip(previous["theme"], previous["computed_status"], strict=True))
        df["previous_status"] = df["theme"].map(prev)
    else:
        df["previous_status"] = None
    df["changed"] = df["previous_status"].notna() & (df["previous_status"] != df["computed_status"])
    off = df["computed_status"] == rule.OFF_TRACK
    df["priority"] = 1
    df.loc[off | df["changed"], "priority"] = 0
    # Higher = discuss sooner: the reverse of the status vocabulary's attention order.
    df["severity"] = len(rule.ATTENTION) - df["computed_status"].map(rule.attention_rank)

    def why(r) -> str:
        parts = []
        if r["computed_status"] == rule.OFF_TRACK:
            parts.append("off track")
        if r["changed"]:
            parts.append(f"changed since the last meeting (was {rule.LABELS.get(r['previous_status'], '?')})")
        return "; ".join(parts)

    df["why_first"] = df.apply(why, axis=1) if not df.empty else pd.Series(dtype=str)
    sort = ["priority", "severity", "track_position", "theme_name"]
    asc = [True, False, True, True]
    if "track_position" not in df.columns:
        sort, asc = ["priority", "severity", "theme_name"], [True, False, True]
    # Priority themes: worst first. The rest: by track, then name (severity ignored).
    df.loc[df["priority"] == 1, "severity"] = 0
    return df.sort_values(sort, ascending=asc, kind="stable").reset_index(drop=True)
