"""Streamlit glue for isc.auth: read st.user, show who is uploading (or that sign-in is off)."""

from __future__ import annotations

import re

import streamlit as st

from isc import auth
from isc.db import uploads

_MARKDOWN = re.compile(r"([\\`*\[\]<>|~$])")
LOCAL_BANNER = "Sign-in is not configured: uploads are recorded as 'local'."


def md(text) -> str:
    """Text from outside (file names, e-mail addresses, messages quoting them) made inert for
    st.markdown: no links, images, emphasis, code or maths can be smuggled in by a file name."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def _user_info() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no user context at all: behave as the local demo
        return {}


def current() -> auth.Identity:
    """The person using the app, with the permissions the reference users give them."""
    return auth.from_user_info(_user_info(), uploads.app_user)


def banner(identity: auth.Identity) -> None:
    """Say who is recorded as the uploader, or that sign-in is not configured."""
    if not identity.configured:
        st.warning(
            f"{LOCAL_BANNER} Everyone using this app may upload and undo anything. "
            "See the README (Sign-in) to configure OpenID Connect in .streamlit/secrets.toml.",
            icon=":material/no_accounts:",
        )
        return
    if not identity.signed_in:
        st.warning("Sign in to upload reports or undo uploads.", icon=":material/login:")
        st.button("Sign in", on_click=st.login, key="identity_login")
        return
    col1, col2 = st.columns([5, 1])
    col1.info(
        f"Signed in as **{md(identity.user)}**: you may upload {md(identity.scope())}.",
        icon=":material/account_circle:",
    )
    col2.button("Sign out", on_click=st.logout, key="identity_logout")
