"""The agenda of a coordination meeting and the state of its actions (pure pandas, no database).

The agenda has two groups. "Attention first" holds every theme whose computed status comes
before on track in the status vocabulary's attention order (isc.status.ATTENTION: off track,
at risk, not reported) and every theme whose computed status changed since the last meeting of
the same body. Inside it the order is: off track, at risk, not reported, then the themes that
are there only because they changed (now on track or completed), each by track and name.
Then every other theme, by track and name. "Since the last meeting" compares the theme's status
at this meeting's frozen data version with its status at the previous meeting's frozen data
version (each for the period that meeting discussed).

An action is open, done or dropped (isc.db.coordination.ACTION_STATUSES); an open action whose
due date has passed is overdue (register_state).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from isc import status as rule

OPEN, DONE, DROPPED, OVERDUE = "open", "done", "dropped", "overdue"
# The register's states, in the order it lists them: what needs chasing first.
STATES = (OVERDUE, OPEN, DONE, DROPPED)
# Statuses that put a theme in the "attention first" group on their own.
ATTENTION_FIRST = tuple(s for s in rule.ATTENTION if rule.attention_rank(s) < rule.attention_rank(rule.ON_TRACK))


def agenda(current: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order the themes of `current` (theme_status rows) for discussion.

    Adds: previous_status (None without a previous meeting), changed, priority (0 = discuss first),
    severity, and why_first: why the theme is discussed first, as a tuple of (catalogue key, params)
    parts (why_first_parts), which the page and the minutes say in their language.
    """
    df = current.copy()
    if previous is not None and not previous.empty:
        prev = dict(zip(previous["theme"], previous["computed_status"], strict=True))
        df["previous_status"] = df["theme"].map(prev)
    else:
        df["previous_status"] = None
    df["changed"] = df["previous_status"].notna() & (df["previous_status"] != df["computed_status"])
    attention = df["computed_status"].isin(ATTENTION_FIRST)
    df["priority"] = 1
    df.loc[attention | df["changed"], "priority"] = 0
    # Higher = discuss sooner: the reverse of the status vocabulary's attention order.
    df["severity"] = len(rule.ATTENTION) - df["computed_status"].map(rule.attention_rank)

    df["why_first"] = [why_first_parts(s, p, c) for s, p, c in
                       zip(df["computed_status"], df["previous_status"], df["changed"], strict=True)]
    sort = ["priority", "severity", "track_position", "theme_name"]
    asc = [True, False, True, True]
    if "track_position" not in df.columns:
        sort, asc = ["priority", "severity", "theme_name"], [True, False, True]
    # Attention first: off track, at risk, not reported, then changed (on track, completed: one
    # rank, by track). The rest: by track, then name (severity ignored).
    df.loc[(df["priority"] == 0) & ~attention, "severity"] = 0
    df.loc[df["priority"] == 1, "severity"] = 0
    return df.sort_values(sort, ascending=asc, kind="stable").reset_index(drop=True)


def why_first_parts(status: str, previous: str | None, changed: bool) -> tuple[tuple[str, dict], ...]:
    """Why a theme comes first, as (catalogue key, params) parts said one after the other ("; "):
    its status when that alone puts it first (meeting.first.<status>), and the change since the last
    meeting (meeting.changed, `was` = the previous status code, said with the status words)."""
    parts: list[tuple[str, dict]] = []
    if status in ATTENTION_FIRST:
        parts.append((f"meeting.first.{status}", {}))
    if changed:
        parts.append(("meeting.changed", {"was": previous}))
    return tuple(parts)


def steps(agenda_: pd.DataFrame) -> list[str]:
    """The walk through a meeting: the open actions first ("actions"), then each theme in agenda order."""
    return ["actions", *agenda_["theme"].tolist()]


def step_at(wanted: int, n_steps: int) -> int:
    """A step number kept inside the walk (Previous on the first step and Next on the last do nothing)."""
    return min(max(int(wanted), 0), n_steps - 1)


def behind(reasons: pd.DataFrame) -> pd.DataFrame:
    """The reasons (status_reasons rows) a meeting discusses: those off track or at risk, worst first."""
    worrying = reasons[reasons["status"].isin([rule.OFF_TRACK, rule.AT_RISK])]
    order = worrying["status"].map(rule.attention_rank)
    return worrying.iloc[order.argsort(kind="stable")]


def register_state(status: str, due_date, today: dt.date) -> str:
    """open / done / dropped, or overdue: open with its due date passed (the due day itself is not)."""
    if status != OPEN:
        return status
    if due_date is not None and not pd.isna(due_date) and pd.Timestamp(due_date).date() < today:
        return OVERDUE
    return OPEN


def register(actions: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The action register: each action with its state, overdue and open first, then by due date."""
    df = actions.copy()
    df["state"] = [register_state(s, d, today) for s, d in zip(df["status"], df["due_date"], strict=True)]
    df["_rank"] = df["state"].map(STATES.index)
    df["_due"] = pd.to_datetime(df["due_date"])
    df = df.sort_values(["_rank", "_due", "id"], na_position="last", kind="stable")
    return df.drop(columns=["_rank", "_due"]).reset_index(drop=True)
