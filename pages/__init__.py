"""Showroom's pages: one thin Streamlit script per demo, routed by app.py's `st.navigation`.

Streamlit still treats a `pages/` folder beside the entry script as a legacy multipage app until
`st.navigation` has run once in the process. So the very first visit after a restart that opens a page
by URL (each page's URL path is its file name, for exactly this reason) runs that file alone, without
app.py's navigation and page settings. Every page imports this package first; in that one run it turns
the legacy mode off and reruns, and app.py takes over with the page the visitor asked for.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
