"""The dashboard's pages, run by st.navigation in dashboard.py.

Streamlit 1.67 treats a folder named `pages/` beside the main script as an old-style multipage
app until a session has called st.navigation ("As soon as any session of your app executes the
st.navigation command, your app will ignore the pages/ directory", st.navigation's docstring),
and offers no setting to turn that off (client.showSidebarNavigation only hides the listing).
So a deep link (e.g. /themes?period=2025-Q3) opened first after a server start would run that
page alone, without dashboard.py: no shared filters, no navigation, no demo database. And
AppTest starts every run in that mode again, so a test's switch_page() would do the same.

This is the one place that works around it, with Streamlit's private PagesManager: every page
imports this package, so the first page or dashboard.py run of a process switches it to
st.navigation mode for good (also for the sessions, and AppTest runs, made afterwards) and, if
a page was running alone, reruns through dashboard.py, which then runs the page asked for.
Checked by tests/e2e/test_pages_e2e.py (a deep link as a fresh server's first request).
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

_init = PagesManager.__init__


def _navigation_mode(self, *args, **kwargs) -> None:
    PagesManager.uses_pages_directory = False  # what st.navigation sets; the `pages/` folder stays ignored
    _init(self, *args, **kwargs)


PagesManager.__init__ = _navigation_mode
if PagesManager.uses_pages_directory and st.runtime.exists():
    PagesManager.uses_pages_directory = False
    st.rerun()
