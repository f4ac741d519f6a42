"""Sign-in proven end to end (issue 18): the real dashboard server signs people in through a real
OpenID Connect provider (oidc-provider-mock, on 127.0.0.1) in Chromium, and every write path this
issue guards is tried by an administrator, a focal point, an unlisted address, an account whose
e-mail the provider does not verify, and a signed-out visitor.

The server gets its own secrets file (`--secrets.files`, so a developer's .streamlit/secrets.toml
is neither read nor touched) with an [auth] section pointing at the provider, and its own copy of
the demo database; what it recorded (actor, issuer, subject) is read from that database once the
server has stopped. A second server with `[isc] require_sign_in_to_view = true` shows a signed-out
visitor only the sign-in page, whatever page they ask for.

Screenshots: tests/artifacts/screenshots/signin_*.png.
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from isc import pack
from tests import workbooks as W
from tests.conftest import DEMO_LAST_PERIOD
from tests.e2e.conftest import _copy_demo, _free_port, open_page, run_server, shoot, wait_idle

pytestmark = pytest.mark.e2e
FILE_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
PERIOD = str(DEMO_LAST_PERIOD)

# subject at the provider -> claims in the ID token
PEOPLE = {
    "sub-admin": {"email": "admin@example.org", "email_verified": True},
    "sub-fp": {"email": "FP.Climate@example.org", "email_verified": True},  # matched case-insensitively
    "sub-stranger": {"email": "stranger@example.org", "email_verified": True},
    "sub-unverified": {"email": "fp.climate@example.org", "email_verified": False},
}


@contextmanager
def oidc_provider():
    """oidc-provider-mock on 127.0.0.1 in a thread, with the people above; yields its base URL."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    old = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on the loopback, for the test only
    users = [User(sub=sub, claims=claims) for sub, claims in PEOPLE.items()]
    server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        if old is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = old


def secrets_file(folder: Path, provider: str, port: int, gate: bool = False) -> Path:
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-for-the-e2e-test-only-0123456789"\n'
        'client_id = "isc-dashboard"\n'
        'client_secret = "e2e-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        + ("\n[isc]\nrequire_sign_in_to_view = true\n" if gate else "")
    )
    return path


@contextmanager
def signin_server(demo_master: Path, folder: Path, provider: str, gate: bool = False):
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    secrets = secrets_file(folder, provider, port, gate)
    db = _copy_demo(demo_master, folder / "db")
    with run_server(db, folder / "server.log", port=port, extra_args=("--secrets.files", str(secrets)),
                    extra_env={"AUTHLIB_INSECURE_TRANSPORT": "1"}) as s:
        yield s


def sign_in(browser, base: str, sub: str | None, start: str = "upload"):
    """A fresh browser context; signed in as `sub` at the provider (None: stays signed out)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_page(page, base, start)
    if sub is not None:
        page.get_by_role("button", name="Sign in").first.click()
        page.wait_for_url(re.compile(r".*/oauth2/authorize.*"))
        page.fill('input[name="sub"]', sub)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(re.compile(re.escape(base) + r"/(\?.*)?$"))  # back on the app's home
        wait_idle(page)
        open_page(page, base, start)
    return context, page


def upload(page, base: str, path: Path) -> None:
    open_page(page, base, "upload")
    page.locator(FILE_INPUT).set_input_files(str(path))
    wait_idle(page)


def load(page, name: str) -> int:
    page.get_by_role("button", name=f"Load {name}").click()
    wait_idle(page)
    text = page.get_by_text(re.compile(r"Loaded: loaded as upload #\d+")).first
    text.wait_for()
    return int(re.search(r"#(\d+)", text.inner_text())[1])


def undo_newest(page, base: str, upload_id: int) -> None:
    open_page(page, base, "history")
    page.get_by_role("button", name=f"Undo upload #{upload_id}").click()
    wait_idle(page)
    page.get_by_role("button", name=f"Yes, undo upload #{upload_id}").click()
    wait_idle(page)
    page.get_by_text(f"Upload #{upload_id} undone").first.wait_for()


def overlaps_read_only(page, base: str, why: str) -> None:
    open_page(page, base, "overlaps")
    page.get_by_text(why).first.wait_for()
    assert page.get_by_role("button", name="Record").count() == 0


def record_verdict(page, base: str) -> None:
    open_page(page, base, "overlaps")
    page.locator('[class*="st-key-verdict_"]').first.click()
    page.get_by_role("option", name="complementary", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Record").first.click()
    wait_idle(page)


def export_manifest(page, base: str, path: Path | None) -> None:
    """Open the Export page's 'rebuild from a manifest' part; upload `path` when given."""
    open_page(page, base, "export")
    page.get_by_text("Rebuild an earlier pack from its manifest").click()
    wait_idle(page)
    if path is not None:
        page.locator(FILE_INPUT).set_input_files(str(path))
        wait_idle(page)


def test_sign_in_and_rights_on_every_write_in_chromium(demo_master, browser, tmp_path):
    fp_file = W.save(W.workbook(period=PERIOD, sector="ITU-D"), tmp_path / "fp.xlsx")
    fp_other = W.save(W.workbook(period=PERIOD, sector="ITU-R"), tmp_path / "fp_itu_r.xlsx")
    admin_file = W.save(W.workbook(W.report(summary="Admin's report"), period=PERIOD), tmp_path / "admin.xlsx")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"version": None, "period": PERIOD, "selection": {"themes": [], "tracks": []},
                                    "charts": [{"key": next(iter(pack.CATALOGUE))}]}))
    with oidc_provider() as provider:
        with signin_server(demo_master, tmp_path / "app", provider) as server:
            base = server.url

            # signed out: may look, writes nothing
            ctx, page = sign_in(browser, base, None)
            page.get_by_text("Sign in to upload reports or undo uploads.").wait_for()
            assert page.locator(FILE_INPUT).count() == 0
            overlaps_read_only(page, base, "Read only: sign in to record verdicts")
            export_manifest(page, base, None)
            page.get_by_text("Only a signed-in administrator may rebuild a pack").wait_for()
            assert page.locator(FILE_INPUT).count() == 0
            open_page(page, base, "history")
            assert page.get_by_role("button", name="Download the original file").count() == 0
            assert page.get_by_text("may be downloaded by administrators and by the focal points").count() == 1
            ctx.close()

            # an e-mail the provider does not verify: signed in, no role (even a focal point's address)
            ctx, page = sign_in(browser, base, "sub-unverified")
            page.get_by_text("does not confirm that this e-mail address is yours").first.wait_for()
            assert page.locator(FILE_INPUT).count() == 0
            shoot(page, "signin_unverified")
            overlaps_read_only(page, base, "does not confirm that this e-mail address is yours")
            ctx.close()

            # an unlisted address: signed in, may look only
            ctx, page = sign_in(browser, base, "sub-stranger")
            page.get_by_text("Signed in as stranger@example.org").wait_for()
            page.get_by_text("not listed as a focal point").first.wait_for()
            assert page.locator(FILE_INPUT).count() == 0
            overlaps_read_only(page, base, "stranger@example.org may not record verdicts")
            export_manifest(page, base, None)
            page.get_by_text("Only a signed-in administrator may rebuild a pack").wait_for()
            open_page(page, base, "history")
            assert page.get_by_role("button", name="Download the original file").count() == 0
            ctx.close()

            # the administrator: uploads, undoes, restores from a manifest
            ctx, page = sign_in(browser, base, "sub-admin")
            page.get_by_text("Signed in as admin@example.org: you may upload every theme and sector").wait_for()
            upload(page, base, admin_file)
            admin_id = load(page, "admin.xlsx")
            undo_newest(page, base, admin_id)
            export_manifest(page, base, manifest)
            page.get_by_text(f"period {PERIOD}, 1 figures").wait_for()
            page.get_by_role("button", name="Use these settings").click()
            wait_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            ctx.close()

            # the focal point: their theme and Sector only; a verdict; undo of their own upload
            ctx, page = sign_in(browser, base, "sub-fp")
            page.get_by_text("Signed in as FP.Climate@example.org").wait_for()
            upload(page, base, fp_other)
            page.get_by_text("may not upload the report of theme CLIM for sector ITU-R").wait_for()
            assert page.get_by_role("button", name="Load fp_itu_r.xlsx").count() == 0
            upload(page, base, fp_file)
            fp_id = load(page, "fp.xlsx")
            open_page(page, base, "history")
            page.get_by_role("button", name="Download the original file").wait_for()  # their theme and Sector
            undo_newest(page, base, fp_id)
            record_verdict(page, base)
            export_manifest(page, base, None)
            page.get_by_text("Only a signed-in administrator may rebuild a pack").wait_for()
            shoot(page, "signin_focal_point_export")
            ctx.close()
            assert "Traceback" not in server.log_text()

        # what the server recorded, read once it has stopped
        with duckdb.connect(str(server.db), read_only=True) as con:
            events = con.execute(
                "SELECT action, upload_id, actor, actor_issuer, actor_subject FROM event WHERE upload_id IN (?, ?) "
                "ORDER BY seq", [admin_id, fp_id]).fetchall()  # fmt: skip
            review = con.execute("SELECT reviewer FROM overlap_review ORDER BY reviewed_at DESC").fetchall()
    assert events == [
        ("load", admin_id, "admin@example.org", provider, "sub-admin"),
        ("undo", admin_id, "admin@example.org", provider, "sub-admin"),
        ("load", fp_id, "FP.Climate@example.org", provider, "sub-fp"),
        ("undo", fp_id, "FP.Climate@example.org", provider, "sub-fp"),
    ]
    assert review == [("FP.Climate@example.org",)]


def test_with_the_view_setting_a_signed_out_visitor_sees_only_the_sign_in_page(demo_master, browser, tmp_path):
    with oidc_provider() as provider, signin_server(demo_master, tmp_path / "app", provider, gate=True) as server:
        ctx, page = sign_in(browser, server.url, None, start="history")  # a page's own URL is gated too
        page.get_by_text("Sign in to view the dashboard").wait_for()
        shoot(page, "signin_view_gate")
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.get_by_text("Upload history").count() == 0
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/oauth2/authorize.*"))
        page.fill('input[name="sub"]', "sub-stranger")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(re.compile(re.escape(server.url) + r"/(\?.*)?$"))
        wait_idle(page)
        assert page.get_by_text("Sign in to view the dashboard").count() == 0
        open_page(page, server.url, "history")
        page.get_by_role("heading", name="Upload history").wait_for()
        ctx.close()
