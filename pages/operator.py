"""Who may change the server for everyone (warm or unload a model): the operator, never a visitor.

With SHOWROOM_OPERATOR_TOKEN set (in the environment or in Streamlit's secrets), a session proves once
that it is the operator's: by typing the token into the home page's "Operator sign-in" field, or, less
privately (the address reaches browser history and any proxy's logs), by opening the home page with
`?operator=TOKEN`, which is then taken out of the address bar so a copied link does not pass it on. The
session remembers it. Without a token, only a browser on the server's own machine is the operator
(SECURITY.md, "The operator").
"""

from __future__ import annotations

import hmac

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from pipelines.settings import load_settings

TOKEN_SETTING = "SHOWROOM_OPERATOR_TOKEN"
_SESSION_KEY = "showroom-operator"
SIGN_IN = "operator-sign-in"
# Streamlit reports no address (None) for a browser on localhost.
_LOCAL_ADDRESSES = {None, "127.0.0.1", "::1"}


def is_operator() -> bool:
    """Whether this session may warm and unload models; reads (and removes) `?operator=` first."""
    token = _token()
    offered = st.query_params.get("operator")
    if offered is not None:
        del st.query_params["operator"]
        if token and hmac.compare_digest(offered.encode(), token.encode()):
            st.session_state[_SESSION_KEY] = True
        else:
            st.warning(
                "That operator link is not valid on this server, so the model controls stay hidden.",
                icon=":material/lock:",
            )
    if token:
        return bool(st.session_state.get(_SESSION_KEY))
    return st.context.ip_address in _LOCAL_ADDRESSES


def offer_sign_in() -> None:
    """The field where the operator types the token, on a server that has one; a wrong one is one sentence."""
    token = _token()
    if not token:
        return
    with st.expander("Operator sign-in", icon=":material/key:"), st.form(SIGN_IN, border=False):
        typed = st.text_input("Operator token", type="password", key=f"{SIGN_IN}-token")
        if st.form_submit_button("Sign in", key=f"{SIGN_IN}-submit"):
            if hmac.compare_digest(typed.encode(), token.encode()):
                st.session_state[_SESSION_KEY] = True
                st.rerun()
            st.warning(
                "That token is not valid on this server, so the model controls stay hidden.", icon=":material/lock:"
            )


def _token() -> str:
    token = load_settings().operator_token
    if token:
        return token
    try:
        return str(st.secrets.get(TOKEN_SETTING) or "")
    except StreamlitSecretNotFoundError:  # no secrets file: the environment is the only place
        return ""
