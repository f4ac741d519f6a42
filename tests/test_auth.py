"""Who may do what: the pure rules in isc.auth (Identity.may over every action and role, the
verified e-mail, issuer and subject), the lookup in the app_user table, and the issuer and subject
recorded with uploads and undos."""

from __future__ import annotations

import pytest

from isc import auth
from isc.db import uploads

USERS = {
    "admin@example.org": {"email": "admin@example.org", "role": "admin", "themes": "*", "sectors": "*"},
    "fp.climate@example.org": {
        "email": "fp.climate@example.org",
        "role": "focal_point",
        "themes": "CLIM",
        "sectors": "ITU-T ITU-D",
    },
    "fp.all@example.org": {
        "email": "fp.all@example.org",
        "role": "focal_point",
        "themes": "*",
        "sectors": "GS;RO",
    },
}


def who(info: dict) -> auth.Identity:
    """The identity for st.user's dict; a signed-in account's e-mail is verified unless `info` says."""
    if info.get("is_logged_in"):
        info = {"email_verified": True, **info}
    return auth.from_user_info(info, lambda e: USERS.get(e.lower()))


def test_without_sign_in_configured_everyone_is_local_with_full_rights():
    me = who({"email": "test@example.com"})  # st.user without an [auth] section has no is_logged_in
    assert me.user == "local" and not me.configured
    assert me.may_upload("CLIM", "ITU-R") and me.may_undo("someone@else.org") and me.is_admin
    assert me.refusal("ANY", "GS") is None


def test_signed_out_user_may_do_nothing():
    me = who({"is_logged_in": False})
    assert me.configured and not me.signed_in
    assert not me.may_upload("CLIM", "ITU-T") and not me.may_undo("")
    assert not me.may_undo(None)
    assert "not signed in" in me.refusal("CLIM", "ITU-T")


def test_focal_point_may_upload_listed_themes_and_sectors_only():
    me = who({"is_logged_in": True, "email": "FP.Climate@example.org"})
    assert me.role == "focal_point" and me.themes == {"CLIM"} and me.sectors == {"ITU-T", "ITU-D"}
    assert me.may_upload("CLIM", "ITU-T") and me.may_upload("CLIM", "ITU-D")
    assert not me.may_upload("CLIM", "ITU-R") and not me.may_upload("GEND", "ITU-T")
    msg = me.refusal("GEND", "ITU-R")
    assert "may not upload the report of theme GEND for sector ITU-R" in msg
    assert "You may upload theme(s) CLIM for sector(s) ITU-D, ITU-T." in msg
    assert me.refusal("CLIM", "ITU-T") is None


def test_star_means_all():
    me = who({"is_logged_in": True, "email": "fp.all@example.org"})
    assert me.may_upload("GEND", "GS") and me.may_upload("CLIM", "RO") and not me.may_upload("CLIM", "ITU-T")
    assert me.scope() == "all themes for sector(s) GS, RO"


def test_scope_and_refusal_are_catalogue_messages():
    me = who({"is_logged_in": True, "email": "fp.all@example.org"})
    assert me.scope_message() == ("identity.scope", {"themes": ("identity.all_themes", {}),
                                                     "sectors": ("identity.sectors", {"codes": "GS, RO"})})
    assert auth.text(me.scope_message()) == me.scope()  # English from the English catalogue
    assert auth.text(me.scope_message(), "fr") != me.scope()
    assert me.refusal_message("CLIM", "RO") is None
    assert auth.text(me.refusal_message("CLIM", "ITU-T")) == me.refusal("CLIM", "ITU-T")
    out = who({"is_logged_in": False})
    assert out.refusal("CLIM", "ITU-T") == "You are not signed in, and may upload nothing until you sign in."


def test_undo_only_by_admin_or_the_original_uploader():
    fp = who({"is_logged_in": True, "email": "fp.climate@example.org"})
    assert fp.may_undo("FP.climate@example.org ") and not fp.may_undo("admin@example.org")
    assert not fp.may_undo("local")
    admin = who({"is_logged_in": True, "email": "admin@example.org"})
    assert admin.is_admin and admin.may_undo("fp.climate@example.org") and admin.may_upload("X", "Y")


def test_signed_in_but_not_listed_may_not_upload():
    me = who({"is_logged_in": True, "email": "stranger@example.org"})
    assert me.signed_in and me.role is None and not me.may_upload_anything
    assert not me.may_upload("CLIM", "ITU-T") and not me.may_undo("stranger@example.org")
    assert "not listed as a focal point" in me.refusal("CLIM", "ITU-T")


def test_app_user_lookup_reads_the_reference_users(empty_db):
    row = uploads.app_user(" FP.CLIMATE@example.org", db=empty_db)
    assert row == {
        "email": "fp.climate@example.org",
        "role": "focal_point",
        "themes": "CLIM",
        "sectors": "ITU-T ITU-D",
    }
    assert uploads.app_user("nobody@example.org", db=empty_db) is None
    me = auth.from_user_info(
        {"is_logged_in": True, "email": "fp.climate@example.org", "email_verified": True},
        lambda e: uploads.app_user(e, db=empty_db),
    )
    assert me.may_upload("CLIM", "ITU-D") and not me.may_upload("CLIM", "GS")


# --- Identity.may over every action and role (issue 18) ----------------------------------------

ISS = "https://login.example.org"
USERS["secretary@example.org"] = {"email": "secretary@example.org", "role": "secretary", "themes": "",
                                  "sectors": ""}


def signed_in(email: str, **claims) -> auth.Identity:
    return who({"is_logged_in": True, "email": email, "iss": ISS, "sub": f"sub-{email}", **claims})


PEOPLE = {
    "admin": lambda: signed_in("admin@example.org"),
    "focal_point": lambda: signed_in("fp.climate@example.org"),
    "secretary": lambda: signed_in("secretary@example.org"),
    "unlisted": lambda: signed_in("stranger@example.org"),
    "signed_out": lambda: who({"is_logged_in": False}),
    "unverified": lambda: signed_in("admin@example.org", email_verified=False),
    "not_configured": lambda: who({"email": "test@example.com"}),
}
# (action, keyword arguments) -> who may: the focal point is fp.climate (CLIM for ITU-T and ITU-D).
CASES = [
    ((auth.UPLOAD, {"theme": "CLIM", "sector": "ITU-T"}), {"admin", "focal_point", "not_configured"}),
    ((auth.UPLOAD, {"theme": "CLIM", "sector": "ITU-R"}), {"admin", "not_configured"}),
    ((auth.UPLOAD, {"theme": "GEND", "sector": "ITU-T"}), {"admin", "not_configured"}),
    ((auth.UPLOAD, {}), {"admin", "not_configured"}),
    ((auth.UNDO, {"uploaded_by": "FP.Climate@example.org"}), {"admin", "focal_point", "not_configured"}),
    ((auth.UNDO, {"uploaded_by": "admin@example.org"}), {"admin", "not_configured"}),
    ((auth.UNDO, {"uploaded_by": "stranger@example.org"}), {"admin", "not_configured"}),
    ((auth.UNDO, {"uploaded_by": None}), {"admin", "not_configured"}),
    ((auth.MEETING, {}), {"admin", "secretary", "not_configured"}),
    ((auth.REMIND, {}), {"admin", "secretary", "not_configured"}),
    ((auth.REVIEW_OVERLAP, {}), {"admin", "secretary", "focal_point", "not_configured"}),
    ((auth.RESTORE_MANIFEST, {}), {"admin", "secretary", "not_configured"}),
    ((auth.DOWNLOAD_ORIGINAL, {"theme": "CLIM", "sector": "ITU-D"}), {"admin", "focal_point", "not_configured"}),
    ((auth.DOWNLOAD_ORIGINAL, {"theme": "CLIM", "sector": "ITU-R"}), {"admin", "not_configured"}),
    ((auth.DOWNLOAD_ORIGINAL, {"theme": "GEND", "sector": "ITU-T"}), {"admin", "not_configured"}),
    ((auth.SEE_EMAILS, {}), {"admin", "focal_point", "secretary", "unlisted", "not_configured"}),
    ((auth.TEMPLATE, {"theme": "CLIM", "sector": "ITU-T"}), {"admin", "focal_point", "not_configured"}),
    ((auth.TEMPLATE, {"theme": "GEND", "sector": "ITU-T"}), {"admin", "not_configured"}),
]


def test_every_action_is_covered():
    assert {action for (action, _), _ in CASES} == set(auth.ACTIONS)


@pytest.mark.parametrize(("call", "allowed"), CASES, ids=[f"{a}-{'-'.join(map(str, k.values()))}"
                                                          for (a, k), _ in CASES])
def test_may_for_every_role(call, allowed):
    action, kwargs = call
    got = {name for name, make in PEOPLE.items() if make().may(action, **kwargs)}
    assert got == allowed


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(ValueError, match="unknown action"):
        PEOPLE["admin"]().may("delete_everything")


def test_the_actor_is_the_email_with_sign_in_and_local_without():
    assert PEOPLE["admin"]().actor == "admin@example.org"
    assert PEOPLE["focal_point"]().actor == "fp.climate@example.org"
    assert PEOPLE["not_configured"]().actor == "local"
    assert all(PEOPLE[n]().actor != "local" for n in PEOPLE if n != "not_configured")


def test_issuer_and_subject_are_kept():
    me = PEOPLE["focal_point"]()
    assert (me.issuer, me.subject) == (ISS, "sub-fp.climate@example.org")
    bare = who({"is_logged_in": True, "email": "admin@example.org"})
    assert bare.issuer is None and bare.subject is None and bare.is_admin
    assert PEOPLE["not_configured"]().issuer is None


@pytest.mark.parametrize("verified", [False, None, "false", "", 0, "yes?"])
def test_no_role_without_a_verified_email(verified):
    claims = {"is_logged_in": True, "email": "admin@example.org", "iss": ISS, "sub": "42"}
    if verified is not None:
        claims["email_verified"] = verified
    me = auth.from_user_info(claims, lambda e: USERS.get(e.lower()))
    assert me.signed_in and me.unverified and me.role is None and not me.is_admin
    assert me.user == "admin@example.org" and me.subject == "42"
    assert not any(me.may(a, theme="CLIM", sector="ITU-T", uploaded_by="admin@example.org")
                   for a in auth.ACTIONS if a != auth.SEE_EMAILS)
    assert "does not confirm" in me.refusal("CLIM", "ITU-T")


@pytest.mark.parametrize("verified", [True, "true", "TRUE"])
def test_a_verified_email_may_be_sent_as_a_string(verified):
    me = auth.from_user_info({"is_logged_in": True, "email": "Admin@Example.ORG", "email_verified": verified},
                             lambda e: USERS.get(e.lower()))
    assert me.is_admin and not me.unverified and me.may(auth.RESTORE_MANIFEST)


def test_emails_are_matched_case_insensitively(empty_db):
    me = auth.from_user_info(
        {"is_logged_in": True, "email": " FP.Climate@Example.org ", "email_verified": True},
        lambda e: uploads.app_user(e, db=empty_db),
    )
    assert me.role == "focal_point" and me.may(auth.UPLOAD, theme="CLIM", sector="ITU-T")
    assert me.may(auth.UNDO, uploaded_by="fp.climate@example.org")


def test_issuer_and_subject_are_recorded_with_the_upload_and_its_undo(empty_db):
    from etl import load
    from isc.db import connection
    from tests import workbooks as W

    data = W.good_bytes()  # built once: two builds differ in their zip timestamps across a second
    first = load.load_bytes(data, "a.xlsx", uploaded_by="fp.climate@example.org", issuer=ISS, subject="sub-fp")
    second = load.load_bytes(data, "b.xlsx", uploaded_by="local")  # the same file: unchanged
    assert first.outcome == "loaded" and second.outcome == "unchanged"
    load.undo(first.upload_id, actor="admin@example.org", issuer=ISS, subject="sub-admin")
    with connection.read() as con:
        rows = con.execute(
            "SELECT action, upload_id, actor, actor_issuer, actor_subject FROM event ORDER BY seq"
        ).fetchall()
        assert con.execute("SELECT uploaded_by, undone_by FROM upload").fetchall() == [
            ("fp.climate@example.org", "admin@example.org")
        ]
    assert rows == [
        ("load", first.upload_id, "fp.climate@example.org", ISS, "sub-fp"),
        ("undo", first.upload_id, "admin@example.org", ISS, "sub-admin"),
    ]


# --- the pages ask may(): AppTest with st.user set (at.user) -------------------------------------

VERIFIED = {"is_logged_in": True, "email_verified": True, "iss": ISS}
ADMIN_USER = {**VERIFIED, "email": "admin@example.org", "sub": "sub-admin"}
UNLISTED_USER = {**VERIFIED, "email": "stranger@example.org", "sub": "sub-stranger"}
SIGNED_OUT = {"is_logged_in": False}


def page_app(page: str | None, user: dict | None = None, secrets: dict | None = None):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=90)
    if user is not None:
        at.user = user
    if secrets:
        at.secrets.update(secrets)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def table_with(at, column: str, without: str = "-"):
    """The one table on the page that has this column (and not `without`): dataframes have no
    keys in AppTest."""
    [frame] = [d.value for d in at.dataframe if column in d.value.columns and without not in d.value.columns]
    return frame


def test_overlaps_are_read_only_when_signed_out_and_record_the_actor_when_allowed(demo_db):
    from isc.db import coordination

    out = page_app("pages/overlaps.py", SIGNED_OUT)
    assert any("Read only: sign in to record verdicts" in i for i in _texts(out.info))
    assert [b.label for b in out.button] == ["Sign in"]  # no "Record" button, no verdict box
    assert not [s for s in out.selectbox if str(s.key).startswith("verdict_")]
    stranger = page_app("pages/overlaps.py", UNLISTED_USER)
    assert any("stranger@example.org may not record verdicts" in i for i in _texts(stranger.info))
    assert not [b for b in stranger.button if b.label == "Record"]
    unverified = page_app("pages/overlaps.py", {**ADMIN_USER, "email_verified": False})
    assert any("does not confirm that this e-mail address is yours" in w for w in _texts(unverified.warning))
    assert not [b for b in unverified.button if b.label == "Record"]

    admin = page_app("pages/overlaps.py", ADMIN_USER)
    [box, *_] = [s for s in admin.selectbox if str(s.key).startswith("verdict_")]
    box.set_value("duplicate").run()
    [b for b in admin.button if b.key == box.key.replace("verdict_", "record_")][0].click().run()
    assert not admin.exception, [e.value for e in admin.exception]
    top = coordination.reviews().iloc[0]
    assert (top["verdict"], top["reviewer"]) == ("duplicate", "admin@example.org")


def test_history_offers_the_original_only_to_admins_and_the_themes_focal_points(demo_db):
    newest = uploads.history().iloc[0]

    def download_buttons(user):
        at = page_app("pages/history.py", user)
        at.selectbox(key="history_upload").set_value(int(newest["id"])).run()
        assert not at.exception, [e.value for e in at.exception]
        return at, at.get("download_button")

    at, buttons = download_buttons(UNLISTED_USER)
    assert not buttons
    assert any("may be downloaded by administrators and by the focal points of theme" in c
               for c in _texts(at.caption))
    at, buttons = download_buttons(ADMIN_USER)
    assert len(buttons) == 1
    # signed out: no download, and the uploaders' addresses are hidden (the demo's are "demo")
    at, buttons = download_buttons(SIGNED_OUT)
    assert not buttons
    shown = table_with(at, "file_name")
    assert not shown["uploaded_by"].astype(str).str.contains("@").any()


def test_email_addresses_only_for_signed_in_users(demo_db):
    out = page_app(None, SIGNED_OUT)
    assert "email" not in table_with(out, "days_overdue").columns
    signed = page_app(None, UNLISTED_USER)
    assert "email" in table_with(signed, "days_overdue").columns
    local = page_app(None, None)  # sign-in not configured: everyone is "local" and sees them
    assert "email" in table_with(local, "days_overdue").columns
    themes_out = page_app("pages/themes.py", SIGNED_OUT)
    assert "email" not in table_with(themes_out, "focal_point", without="computed").columns
    themes_in = page_app("pages/themes.py", ADMIN_USER)
    assert "email" in table_with(themes_in, "focal_point", without="computed").columns


GATE = {"isc": {"require_sign_in_to_view": True}}


def test_the_view_setting_shows_signed_out_visitors_only_the_sign_in_page(demo_db):
    out = page_app(None, SIGNED_OUT, GATE)
    assert _texts(out.title) == ["Sign in to view the dashboard"]
    assert [b.label for b in out.button] == ["Sign in"]
    assert not out.dataframe and not out.metric
    assert [s.key for s in out.selectbox] == ["lang"]  # no page menu, no filters: the language only
    # (that a page's own URL is gated too is proven on the real server: tests/e2e/test_signin_e2e.py)
    # signed in (even unlisted), or sign-in not configured: the app as usual
    for user in (UNLISTED_USER, None):
        at = page_app(None, user, GATE)
        assert not at.title and "filter_period" in [s.key for s in at.selectbox] and at.metric
    # the setting off (the default): signed-out visitors may look
    assert page_app("pages/history.py", SIGNED_OUT).dataframe


def test_a_template_is_offered_for_the_listed_reports_even_to_a_secretary_who_may_not_upload():
    """A template is not a write: any account listed for a theme and Sector may download one (a
    secretary prepares them for focal points), while only a focal point or an admin may upload."""
    secretary = auth.Identity("sec@itu.int", configured=True, signed_in=True, role=auth.SECRETARY,
                              themes=frozenset({"CLIM"}), sectors=frozenset({"ITU-T"}))
    assert secretary.may(auth.TEMPLATE, theme="CLIM", sector="ITU-T")
    assert not secretary.may(auth.TEMPLATE, theme="CLIM", sector="ITU-R")
    assert not secretary.may(auth.UPLOAD, theme="CLIM", sector="ITU-T")
    signed_out = auth.Identity("", configured=True)
    assert not signed_out.may(auth.TEMPLATE, theme="CLIM", sector="ITU-T")
    assert auth.Identity("local").may(auth.TEMPLATE, theme="CLIM", sector="ITU-T")
