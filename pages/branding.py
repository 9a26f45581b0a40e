"""Whose showroom it is: the presenting organisation's name, logo and accent colour, from one file.

`.streamlit/branding.toml` (or the file `SHOWROOM_BRANDING` names), for example:

    name = "Northwind Bikes"
    logo = "assets/brand/northwind.png"   # relative to the project folder, or absolute
    accent = "#2F6FDE"                     # Streamlit's primaryColor, light and dark themes alike
    theme = "dark"                         # "light" or "dark" for every visitor; unset: each visitor's own

Every key is optional and the defaults are Showroom's own. The name is the tab's title and the home
page's heading; the logo sits above the navigation (`st.logo`); the accent colours buttons, toggles and
charts' bars. A value that cannot be used is one sentence on the page and the default.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit import config

from pipelines.settings import PROJECT, load_settings

DEFAULT_FILE = PROJECT / ".streamlit" / "branding.toml"
DEFAULT_NAME = "Showroom"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
THEMES = ("light", "dark")
_LOGO_TYPES = (".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif")
# The tab's icon without a logo: an emoji, which Streamlit draws in the browser. A `:material/…:` icon here
# would be fetched from fonts.gstatic.com, so every visit would ask the internet for it (tests/test_offline.py).
TAB_ICON = "🛍️"


@dataclass(frozen=True)
class Branding:
    name: str = DEFAULT_NAME
    logo: Path | None = None
    accent: str | None = None  # None: the theme's own (.streamlit/config.toml)
    theme: str | None = None  # "light" or "dark" for everyone; None: as each visitor's browser prefers
    problems: tuple[str, ...] = ()


def read_branding(path: Path | None = None) -> Branding:
    """The branding file's values; what is missing or unusable falls back to Showroom's, with a sentence."""
    path = path or Path(load_settings().branding_file or DEFAULT_FILE)
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
    theme = values.get("theme")
    if theme is not None and theme not in THEMES:
        problems.append(f"The branding theme must be 'light' or 'dark'; got {theme!r}, so each visitor's own is used.")
        theme = None
    return Branding(name.strip(), logo, accent, theme, tuple(problems))


def _logo(value: object, problems: list[str]) -> Path | None:
    if value is None:
        return None
    logo = Path(str(value)).expanduser()
    logo = logo if logo.is_absolute() else PROJECT / logo
    if not logo.is_file() or logo.suffix.lower() not in _LOGO_TYPES:
        problems.append(f"The branding logo must be an image file ({', '.join(_LOGO_TYPES)}); {value!r} is not one.")
        return None
    return logo


_VARIANT_COLOURS = ("primaryColor", "backgroundColor", "secondaryBackgroundColor", "textColor")
# The dark theme's own accent is bright enough to read as text on the dark background, too bright for white
# text on it (3.6:1): on it, text is dark (a primary button, a chosen tag), 5.7:1. A brand's accent keeps
# Streamlit's white.
_DARK_ON_ACCENT = """<style>
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-primary"] *, [data-tag], [data-tag] * {
  color: #16181D !important;
}
</style>"""


@functools.cache
def _one_theme(theme: str) -> dict[str, object]:
    """Options that give every visitor `theme`: its variant's colours (as config.toml has them, read once,
    before any change) as the theme's own, and no variants: while config.toml offers both, the browser's
    preference picks one whatever `theme.base` says."""
    options: dict[str, object] = {"theme.base": theme}
    for option in _VARIANT_COLOURS:
        options[f"theme.{option}"] = config.get_option(f"theme.{theme}.{option}")
        options |= {f"theme.{variant}.{option}": None for variant in THEMES}
    return options


def apply_branding() -> Branding:
    """Tab title, logo and accent for this run (app.py, before navigation)."""
    brand = read_branding()
    st.set_page_config(page_title=brand.name, page_icon=str(brand.logo) if brand.logo else TAB_ICON, layout="wide")
    if brand.logo is not None:
        st.logo(str(brand.logo))
    for problem in brand.problems:
        st.warning(problem, icon=":material/palette:")
    changes = _one_theme(brand.theme) if brand.theme else {}
    if brand.accent:  # one accent for both variants
        changes |= {"theme.primaryColor": brand.accent} | {f"theme.{variant}.primaryColor": None for variant in THEMES}
    changes = {key: value for key, value in changes.items() if config.get_option(key) != value}
    for key, value in changes.items():
        config.set_option(key, value)
    if changes:
        # The theme travels at the start of each run: set now, it reaches the browser from the next run on,
        # so the first visit after a start runs again at once (once per process).
        st.rerun()
    if not brand.accent and st.context.theme.type == "dark":
        st.html(_DARK_ON_ACCENT)
    return brand
