"""Whose showroom it is: the presenting organisation's name, logo and accent colour, from one file.

`.streamlit/branding.toml` (or the file `SHOWROOM_BRANDING` names), for example:

    name = "Northwind Bikes"
    logo = "assets/brand/northwind.png"   # relative to the project folder, or absolute
    accent = "#2F6FDE"                     # Streamlit's primaryColor, light and dark themes alike

Every key is optional and the defaults are Showroom's own. The name is the tab's title and the home
page's heading; the logo sits above the navigation (`st.logo`); the accent colours buttons, toggles and
charts' bars. A value that cannot be used is one sentence on the page and the default.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit import config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / ".streamlit" / "branding.toml"
DEFAULT_NAME = "Showroom"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_LOGO_TYPES = (".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif")


@dataclass(frozen=True)
class Branding:
    name: str = DEFAULT_NAME
    logo: Path | None = None
    accent: str | None = None  # None: the theme's own (.streamlit/config.toml)
    problems: tuple[str, ...] = ()


def read_branding(path: Path | None = None) -> Branding:
    """The branding file's values; what is missing or unusable falls back to Showroom's, with a sentence."""
    path = path or Path(os.environ.get("SHOWROOM_BRANDING") or DEFAULT_FILE)
    if not path.is_file():
        missing = f"The branding file {path} does not exist; Showroom's look is used."
        return Branding(problems=() if path == DEFAULT_FILE else (missing,))
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return Branding(problems=(f"The branding file {path} is not valid TOML ({error}); Showroom's look is used.",))
    problems = []
    name = values.get("name", DEFAULT_NAME)
    if not isinstance(name, str) or not name.strip():
        problems.append("The branding name must be a non-empty text; 'Showroom' is used.")
        name = DEFAULT_NAME
    logo = _logo(values.get("logo"), problems)
    accent = values.get("accent")
    if accent is not None and not (isinstance(accent, str) and _COLOUR.fullmatch(accent)):
        problems.append(f"The branding accent must be a colour like '#2F6FDE'; got {accent!r}, so the theme's is used.")
        accent = None
    return Branding(name.strip(), logo, accent, tuple(problems))


def _logo(value: object, problems: list[str]) -> Path | None:
    if value is None:
        return None
    logo = Path(str(value)).expanduser()
    logo = logo if logo.is_absolute() else ROOT / logo
    if not logo.is_file() or logo.suffix.lower() not in _LOGO_TYPES:
        problems.append(f"The branding logo must be an image file ({', '.join(_LOGO_TYPES)}); {value!r} is not one.")
        return None
    return logo


def apply_branding() -> Branding:
    """Tab title, logo and accent for this run (app.py, before navigation)."""
    brand = read_branding()
    st.set_page_config(page_title=brand.name, page_icon=":material/storefront:", layout="wide")
    if brand.logo is not None:
        st.logo(str(brand.logo))
    for problem in brand.problems:
        st.warning(problem, icon=":material/palette:")
    if brand.accent and config.get_option("theme.primaryColor") != brand.accent:
        # The theme travels at the start of each run: set now, it reaches the browser from the next run on,
        # so the first visit after a start runs again at once (once per process).
        config.set_option("theme.primaryColor", brand.accent)
        st.rerun()
    return brand
