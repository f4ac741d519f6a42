"""Who is uploading, and what they may upload or undo.

Pure logic, no Streamlit: the pages turn `st.user` into an Identity (see pages/identity.py)
and ask it. Permissions come from the reference users (data/reference/users.csv, loaded into
the app_user table):

- role `admin`: may upload for any theme and sector and undo any upload;
- role `focal_point`: may upload for the listed themes and sectors (`*` = all; lists separated
  by spaces, commas or semicolons) and undo their own uploads only;
- role `secretary`: runs meetings (start, end, attendance, notes, actions) and sends reminders;
- a signed-in e-mail that is not listed may look but not upload;
- an account whose provider does not assert a verified e-mail (`email_verified` true) is signed
  in with no role whatever the reference users say: anyone could claim an unverified address.

Every write asks `Identity.may(action, ...)` (actions below); with sign-in configured, a
signed-out visitor writes nothing. `actor` is what is recorded as who did it: the e-mail, or
"local" only when sign-in is not configured.

Without sign-in configured (no [auth] section in .streamlit/secrets.toml), everyone is
"local" with full rights, and the pages say so in a banner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from isc import i18n

LOCAL = "local"
ADMIN, FOCAL_POINT, SECRETARY = "admin", "focal_point", "secretary"

# Every kind of write (and of sensitive read) the app has, for Identity.may():
UPLOAD = "upload"  # theme=, sector=
UNDO = "undo"  # uploaded_by=
MEETING = "meeting"  # start, end, attendance, notes, actions, action status
REMIND = "remind"  # prepare and send reminders to focal points
REVIEW_OVERLAP = "review_overlap"  # record an overlap verdict
RESTORE_MANIFEST = "restore_manifest"  # rebuild an export from an uploaded manifest
DOWNLOAD_ORIGINAL = "download_original"  # theme=, sector=: an uploaded workbook's original bytes
SEE_EMAILS = "see_emails"  # e-mail addresses of focal points and uploaders
TEMPLATE = "template"  # theme=, sector=: a blank or prefilled template for that report
ACTIONS = (UPLOAD, UNDO, MEETING, REMIND, REVIEW_OVERLAP, RESTORE_MANIFEST, DOWNLOAD_ORIGINAL, SEE_EMAILS, TEMPLATE)
_SPLIT = re.compile(r"[\s,;]+")


def _items(text: str | None) -> frozenset[str]:
    return frozenset(x for x in _SPLIT.split(text or "") if x)


@dataclass(frozen=True)
class Identity:
    """The person using the app. `configured` is False when sign-in is not set up at all."""

    user: str  # recorded as uploaded_by / actor: the e-mail, or "local"
    configured: bool = False
    signed_in: bool = False
    role: str | None = None
    themes: frozenset[str] = field(default_factory=frozenset)
    sectors: frozenset[str] = field(default_factory=frozenset)
    issuer: str | None = None  # the provider's `iss`
    subject: str | None = None  # the provider's stable `sub`
    unverified: bool = False  # signed in, but the provider does not vouch for the e-mail: no role

    @property
    def actor(self) -> str:
        """Who is recorded as having done something: the e-mail, or "local" without sign-in."""
        return self.user if self.configured else LOCAL

    def may(self, action: str, *, theme: str | None = None, sector: str | None = None,
            uploaded_by: str | None = None) -> bool:
        """The one rights check every write (and sensitive read) goes through."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if not self.configured:
            return True  # the local demo: full rights, recorded as "local"
        if not self.signed_in:
            return False
        if action == TEMPLATE:  # any listed account (a secretary preparing one for a focal point too)
            return self.is_admin or (
                ("*" in self.themes or theme in self.themes) and ("*" in self.sectors or sector in self.sectors)
            )
        if action == UPLOAD:
            return self.may_upload(theme or "", sector or "")
        if action == UNDO:
            return self.may_undo(uploaded_by)
        if action == SEE_EMAILS:  # personal data: not for an account whose e-mail nobody vouched for
            return not self.unverified
        if action == DOWNLOAD_ORIGINAL:
            return self.is_admin or (self.role == FOCAL_POINT and self.may_upload(theme or "", sector or ""))
        if action in (MEETING, REMIND):
            return self.role in (ADMIN, SECRETARY)
        if action == REVIEW_OVERLAP:
            return self.role in (ADMIN, SECRETARY, FOCAL_POINT)
        return self.role in (ADMIN, SECRETARY)  # RESTORE_MANIFEST: the secretariat prepares Council packs

    @property
    def is_admin(self) -> bool:
        return not self.configured or self.role == ADMIN

    @property
    def may_upload_anything(self) -> bool:
        return self.is_admin or (self.role == FOCAL_POINT and bool(self.themes) and bool(self.sectors))

    def may_upload(self, theme: str, sector: str) -> bool:
        if self.is_admin:
            return True
        if self.role != FOCAL_POINT:
            return False
        return ("*" in self.themes or theme in self.themes) and (
            "*" in self.sectors or sector in self.sectors
        )

    def may_undo(self, uploaded_by: str | None) -> bool:
        """Admins undo anything; others only what they uploaded themselves."""
        if self.is_admin:
            return True
        if not self.signed_in or self.role is None:
            return False
        return (uploaded_by or "").strip().casefold() == self.user.strip().casefold()

    def scope_message(self) -> Message:
        """What this person may upload, as a catalogue message (see `text`)."""
        if self.is_admin:
            return ("identity.scope_all", {})
        if not self.signed_in:
            return ("identity.scope_signed_out", {})
        if self.unverified:
            return ("identity.scope_unverified", {})
        if self.role != FOCAL_POINT or not self.themes or not self.sectors:
            return ("identity.scope_not_listed", {})
        themes = ("identity.all_themes", {}) if "*" in self.themes else (
            "identity.themes", {"codes": ", ".join(sorted(self.themes))})
        sectors = ("identity.all_sectors", {}) if "*" in self.sectors else (
            "identity.sectors", {"codes": ", ".join(sorted(self.sectors))})
        return ("identity.scope", {"themes": themes, "sectors": sectors})

    def scope(self) -> str:
        """What this person may upload, in English words (the CLI's and the tests' language)."""
        return text(self.scope_message())

    def refusal_message(self, theme: str, sector: str) -> Message | None:
        """None when the upload is allowed, else a catalogue message saying what they may upload."""
        if self.may_upload(theme, sector):
            return None
        if not self.signed_in:
            return ("identity.refusal_signed_out", {"scope": self.scope_message()})
        return ("identity.refusal", {"user": self.user, "theme": theme, "sector": sector,
                                     "scope": self.scope_message()})

    def refusal(self, theme: str, sector: str) -> str | None:
        """refusal_message() in English."""
        message = self.refusal_message(theme, sector)
        return None if message is None else text(message)


# A text the core says without knowing the reader's language: a catalogue key (data/i18n) and its
# values, a value being text or another message.
Message = tuple[str, dict]


def text(message: Message, lang: str = i18n.DEFAULT) -> str:
    """A message in `lang`, its nested messages first."""
    key, params = message
    values = {k: text(v, lang) if isinstance(v, tuple) else v for k, v in params.items()}
    return i18n.translate(lang, key, **values)


def local() -> Identity:
    """Sign-in not configured: the local demo, with full rights."""
    return Identity(LOCAL, configured=False, signed_in=False)


def _verified(value) -> bool:
    """The provider's `email_verified` claim: true (some providers send the string "true")."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def from_user_info(info: dict, lookup) -> Identity:
    """Build the identity from st.user's dict. `lookup(email)` returns the app_user row or None
    (matching e-mails case-insensitively).

    st.user has an `is_logged_in` key only when sign-in is configured (an [auth] section in
    secrets.toml); without it the app runs as the local demo. A role is given only when the
    provider asserts that the e-mail is verified (`email_verified`); the provider's issuer (`iss`)
    and subject (`sub`) are kept, to be recorded with every write.
    """
    if "is_logged_in" not in info:
        return local()
    if not info.get("is_logged_in"):
        return Identity("", configured=True, signed_in=False)
    issuer = str(info.get("iss") or "").strip() or None
    subject = str(info.get("sub") or "").strip() or None
    email = str(info.get("email") or "").strip()
    if not email:
        return Identity("(no e-mail)", configured=True, signed_in=True, issuer=issuer, subject=subject)
    if not _verified(info.get("email_verified")):
        return Identity(email, configured=True, signed_in=True, issuer=issuer, subject=subject, unverified=True)
    row = lookup(email)
    if row is None:
        return Identity(email, configured=True, signed_in=True, issuer=issuer, subject=subject)
    return Identity(
        email,
        configured=True,
        signed_in=True,
        role=(row.get("role") or "").strip() or None,
        themes=_items(row.get("themes")),
        sectors=_items(row.get("sectors")),
        issuer=issuer,
        subject=subject,
    )
