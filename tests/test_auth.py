"""Who may upload and undo: the pure rules in isc.auth, and the lookup in the app_user table."""

from __future__ import annotations

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
        {"is_logged_in": True, "email": "fp.climate@example.org"}, lambda e: uploads.app_user(e, db=empty_db)
    )
    assert me.may_upload("CLIM", "ITU-D") and not me.may_upload("CLIM", "GS")
