"""Showroom's entry point: branding, the settings checked, then navigation. Each page is a thin script under pages/."""

import streamlit as st

import pipelines  # noqa: F401  (first: its offline defaults must be set before any page imports transformers)
from pages import handout, presenting
from pages.branding import apply_branding
from pages.demos import DEMOS, SECTIONS
from pages.operator import is_operator
from pipelines.errors import SettingsError
from pipelines.settings import load_settings

try:
    load_settings()  # a typo in the environment is one sentence for whoever opens the app
except SettingsError as error:
    st.error(f"Showroom cannot start: {error}", icon=":material/error:")
    st.stop()
apply_branding()  # the tab's title, the logo and the accent (.streamlit/branding.toml, SHOWROOM_BRANDING)

# One list, in the sections' order: Streamlit's sectioned navigation puts list items inside <div>s, which screen
# readers announce as no list at all (axe-core: "list", "listitem"); the home page's cards name the sections.
pages = [st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True)]
pages += [
    st.Page(d.script, title=d.title, icon=d.icon, url_path=d.url_path)
    for section in SECTIONS
    for d in DEMOS
    if d.section == section
]
if is_operator():  # a visitor's navigation has no such page, so its address leads home
    pages.append(st.Page("pages/audience.py", title="Audience", icon=":material/groups:", url_path="audience"))
page = st.navigation(pages)
presenting.frame(page.url_path)  # presenter mode and the tour's bar, on every page
handout.offer()  # "Download this session", in the sidebar of every page
page.run()
