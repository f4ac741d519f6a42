"""The dashboard's pages, run by st.navigation in dashboard.py.

Streamlit treats a folder named `pages/` beside the main script as an old-style multipage app
until the main script has called st.navigation once in the server process: a deep link
(e.g. /themes?period=2025-Q3) opened first after a server start would run that page alone,
without dashboard.py (no shared filters, no navigation, no demo database). Every page imports
this package, so the first such run switches the server to st.navigation mode and reruns
through dashboard.py, which then runs the page that was asked for.
"""

from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
    import streamlit as st

    PagesManager.uses_pages_directory = False
    st.rerun()
