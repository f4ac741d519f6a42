"""Streamlit glue for isc.auth: read st.user, show who is uploading (or that sign-in is off).

Also the deployment's view setting (`[isc] require_sign_in_to_view` in .streamlit/secrets.toml:
with sign-in configured, a signed-out visitor then sees only the sign-in page, see view_gate)
and who may see e-mail addresses (may_see_emails, hide_emails)."""

from __future__ import annotations

import streamlit as st

from isc import auth
from isc.db import uploads
from pages.common import lang, md, t

LOCAL_BANNER = "Sign-in is not configured: uploads are recorded as 'local'."


def _user_info() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no user context at all: behave as the local demo
        return {}


def current() -> auth.Identity:
    """The person using the app, with the permissions the reference users give them."""
    return auth.from_user_info(_user_info(), uploads.app_user)


def may_see_emails(identity: auth.Identity | None = None) -> bool:
    """Whether e-mail addresses (focal points, uploaders, reviewers) may be shown: to signed-in
    users, and to everyone when sign-in is not configured (auth.SEE_EMAILS)."""
    return (identity or current()).may(auth.SEE_EMAILS)


def hide_emails(frame, columns, identity: auth.Identity | None = None):
    """`frame` without the e-mail `columns` for someone who may not see e-mail addresses."""
    if may_see_emails(identity):
        return frame
    return frame.drop(columns=[c for c in columns if c in frame.columns])


def email_or_hidden(value, identity: auth.Identity | None = None, allowed: bool | None = None) -> str:
    """An e-mail address as it may be shown: itself, or a note that it is hidden ("local" and
    other names that are not addresses are shown as they are)."""
    text = "" if value is None else str(value)
    if "@" not in text:
        return text
    if allowed is None:
        allowed = may_see_emails(identity)
    return text if allowed else t("identity.email_hidden")


def require_sign_in_to_view() -> bool:
    """The deployment's view setting: `[isc] require_sign_in_to_view = true` in secrets.toml
    (default false: anyone who reaches the app may look)."""
    try:
        value = st.secrets.get("isc", {}).get("require_sign_in_to_view", False)
    except Exception:  # noqa: BLE001 - no secrets file at all: the default
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def view_gate() -> None:
    """With the view setting on and sign-in configured, a signed-out visitor sees only a sign-in
    page: nothing else of the app runs (call before the page runs)."""
    if not require_sign_in_to_view():
        return
    identity = current()
    if not identity.configured or identity.signed_in:
        return
    st.title(t("identity.view_title"))
    st.info(t("identity.view_requires_sign_in"), icon=":material/lock:")
    st.button(t("identity.sign_in"), on_click=st.login, key="identity_view_login", type="primary",
              icon=":material/login:")
    st.stop()


def scope_text(identity: auth.Identity) -> str:
    """auth.Identity.scope_message() in the selected language: what this person may upload."""
    return auth.text(identity.scope_message(), lang())


def refusal_text(identity: auth.Identity, theme: str, sector: str) -> str:
    """auth.Identity.refusal_message() in the selected language (the caller knows the upload is refused)."""
    message = identity.refusal_message(theme, sector)
    return "" if message is None else auth.text(message, lang())


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
    if identity.unverified:
        col1.warning(unverified_text(identity), icon=":material/gpp_maybe:")
    else:
        col1.info(
            t("identity.signed_in", user=md(identity.user), scope=md(scope_text(identity))),
            icon=":material/account_circle:",
        )
    col2.button(t("identity.sign_out"), on_click=st.logout, key="identity_logout")


def unverified_text(identity: auth.Identity) -> str:
    """Why a signed-in account has no role: its provider does not vouch for the e-mail."""
    return t("identity.unverified", user=md(identity.user))
