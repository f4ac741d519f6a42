"""Streamlit glue for isc.auth: read st.user, show who is uploading (or that sign-in is off)."""

from __future__ import annotations

import streamlit as st

from isc import auth
from isc.db import uploads
from pages.common import md, t

LOCAL_BANNER = "Sign-in is not configured: uploads are recorded as 'local'."


def _user_info() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no user context at all: behave as the local demo
        return {}


def current() -> auth.Identity:
    """The person using the app, with the permissions the reference users give them."""
    return auth.from_user_info(_user_info(), uploads.app_user)


def scope_text(identity: auth.Identity) -> str:
    """auth.Identity.scope() in the selected language: what this person may upload."""
    if identity.is_admin:
        return t("identity.scope_all")
    if not identity.signed_in:
        return t("identity.scope_signed_out")
    if identity.role != auth.FOCAL_POINT or not identity.themes or not identity.sectors:
        return t("identity.scope_not_listed")
    themes = (
        t("identity.all_themes")
        if "*" in identity.themes
        else t("identity.themes", codes=", ".join(sorted(identity.themes)))
    )
    sectors = (
        t("identity.all_sectors")
        if "*" in identity.sectors
        else t("identity.sectors", codes=", ".join(sorted(identity.sectors)))
    )
    return t("identity.scope", themes=themes, sectors=sectors)


def refusal_text(identity: auth.Identity, theme: str, sector: str) -> str:
    """auth.Identity.refusal() in the selected language (the caller knows the upload is refused)."""
    if not identity.signed_in:
        return t("identity.refusal_signed_out", scope=scope_text(identity))
    return t("identity.refusal", user=identity.user, theme=theme, sector=sector, scope=scope_text(identity))


def banner(identity: auth.Identity) -> None:
    """Say who is recorded as the uploader, or that sign-in is not configured."""
    if not identity.configured:
        st.warning(t("identity.local_banner"), icon=":material/no_accounts:")
        return
    if not identity.signed_in:
        st.warning(t("identity.sign_in_to_upload"), icon=":material/login:")
        st.button(t("identity.sign_in"), on_click=st.login, key="identity_login")
        return
    col1, col2 = st.columns([5, 1])
    col1.info(
        t("identity.signed_in", user=md(identity.user), scope=md(scope_text(identity))),
        icon=":material/account_circle:",
    )
    col2.button(t("identity.sign_out"), on_click=st.logout, key="identity_logout")
