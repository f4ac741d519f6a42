"""Export: build the Council pack (Word, PowerPoint, zip of figures and data) for a selection.

Thin on purpose: widgets here, everything else in isc.pack (no Streamlit there). A pack is built
for one data version (latest by default; any earlier one can be chosen, or read back from a
pack's manifest) so a document sent to Council can be rebuilt later with the same numbers.
"""

import zipfile

import streamlit as st

from isc import auth, i18n, pack
from isc.db import connection
from isc.periods import today
from pages import identity as ident
from pages.common import data_table, filters, lang, q, t

f = filters()
st.header(t("export.title"), anchor=False)
periods = q("periods", today())[::-1]
if not periods:
    st.info(t("export.nothing"))
    st.stop()
st.caption(t("export.caption"))

themes = q("themes")
tracks = q("tracks")
versions = q("data_versions")
theme_names = dict(zip(themes["code"], themes["name"], strict=True))
track_names = dict(zip(tracks["code"], tracks["name"], strict=True))
version_list = versions["version"].astype(int).tolist()


def version_label(v: int | None) -> str:
    """None is "the latest at build time", so a page left open never builds a stale version."""
    if v is None:
        return t("export.latest_now", version=version_list[0]) if version_list else t("export.latest")
    row = versions[versions["version"] == v].iloc[0]
    what = " ".join(str(x) for x in (row["theme"], row["period"], row["sector"]) if isinstance(x, str))
    return f"v{v} · {row['happened_at']:%Y-%m-%d %H:%M} · {row['action']} {what}".strip()


with st.expander(t("export.rebuild"), icon=":material/history:"):
    may_restore = ident.current().may(auth.RESTORE_MANIFEST)  # issue 18: admins only
    if not may_restore:
        st.info(t("export.restore_refused"), icon=":material/lock:")
    sent = st.file_uploader(t("export.manifest_file"), type=["zip", "json"], key="export_manifest") if may_restore else None
    if sent is not None:
        try:
            raw = sent.getvalue()
            manifest = pack.upload_manifest(raw)  # bounded: size, inflated size, nesting, shape
            args = pack.rebuild_args(manifest)
        except (KeyError, ValueError, zipfile.BadZipFile) as e:
            st.error(t("export.not_manifest", error=e))
        else:
            st.write(
                t("export.manifest_summary", version=args["version"], period=args["period"], n=len(manifest["charts"]))
            )
            if st.button(t("export.use_settings"), key="export_use_manifest"):
                st.session_state.update(
                    export_period=args["period"],
                    export_version=args["version"],
                    export_themes=[t for t in args["themes"] if t in theme_names],
                    export_tracks=[t for t in args["tracks"] if t in track_names],
                    export_charts=list(args["charts"]),
                    export_lang=args.get("lang", lang()) if args.get("lang") in (*i18n.languages(), "all") else lang(),
                )
                st.rerun()

# A quarter, or a whole year (its last quarter's status, completeness and trend over its quarters).
years = list(dict.fromkeys(p[:4] for p in periods))
defaults = {
    "export_period": f["period"] if f["period"] in periods else periods[0],
    "export_lang": lang(),
    "export_themes": [f["theme"]] if f["theme"] else [],
    "export_tracks": [f["track"]] if f["track"] else [],
    "export_charts": list(pack.CATALOGUE),
    "export_version": None,
}
for k, v in defaults.items():
    st.session_state.setdefault(k, v)

with st.form("export_form", border=True):
    left, right = st.columns(2)
    with left:
        st.selectbox(
            t("export.period_label"), [*periods, *years], key="export_period", help=t("export.year_help"),
            format_func=lambda p: t("export.year", year=p) if p in years else p,
        )
        st.multiselect(
            t("nav.tracks"), list(track_names), key="export_tracks", format_func=lambda c: track_names.get(c, c),
            placeholder=t("filter.all_tracks"),
        )
        st.multiselect(
            t("nav.themes"), list(theme_names), key="export_themes", format_func=lambda c: theme_names.get(c, c),
            placeholder=t("filter.all_themes"), help=t("export.themes_help"),
        )
    with right:
        st.multiselect(
            t("export.charts"), list(pack.CATALOGUE), key="export_charts",
            format_func=lambda k: pack.CATALOGUE[k].title_in(lang())
            + (t("export.per_theme") if pack.CATALOGUE[k].per_theme else ""),
        )
        languages = i18n.languages()
        st.selectbox(
            t("export.language"), [*languages, "all"], key="export_lang",
            format_func=lambda c: t("export.language_all", names=", ".join(languages.values()))
            if c == "all" else languages[c],
        )
        st.checkbox(t("export.captioned"), key="export_captioned")
        st.selectbox(
            t("history.col_version"), [None, *version_list], key="export_version", format_func=version_label,
            placeholder=version_label(None),
            help=t("export.version_help"),
        )
    build = st.form_submit_button(t("export.build"), type="primary", icon=":material/build:",
                                  key="export_build")
if f["sector"]:
    st.caption(t("export.sector_ignored", sector=f["sector"]))

if build:
    bar = st.progress(0.0, text=t("export.starting"))
    try:
        result = pack.build_pack(
            db=str(connection.db_path()),
            version=st.session_state["export_version"],
            period=st.session_state["export_period"],
            themes=tuple(st.session_state["export_themes"]),
            tracks=tuple(st.session_state["export_tracks"]),
            charts=tuple(st.session_state["export_charts"]),
            progress=lambda fraction, text: bar.progress(fraction, text=text),
            lang=st.session_state["export_lang"],
            captioned=st.session_state.get("export_captioned", False),
        )
    except ValueError as e:
        bar.empty()
        st.error(str(e))
    else:
        bar.empty()
        st.session_state["export_pack"] = result

result = st.session_state.get("export_pack")
if result is not None:
    m = result.manifest
    st.success(
        t(
            "export.built",
            figures=i18n.plural(lang(), "unit.figure", len(result.items)),
            period=m["period"],
            version=m["version"],
            as_of=m["as_of"][:10] if m["as_of"] else "n/a",
            selection=m["selection"]["text"],
        )
    )
    for note in result.notes:
        st.warning(note)
    labels = {"docx": t("export.docx"), "pptx": t("export.pptx"), "zip": t("export.zip")}
    icons = {"docx": ":material/description:", "pptx": ":material/slideshow:", "zip": ":material/folder_zip:"}
    with st.container(horizontal=True):
        for ext, label in ((e, la) for e, la in labels.items() if e in result.files):
            st.download_button(
                label, result.files[ext], file_name=result.file_names[ext], mime=pack.Pack.MIME[ext],
                key=f"export_download_{ext}", icon=icons[ext], on_click="ignore",
            )
    data_table(
        [{"figure": r["number"], "title": r["title"], "data": r["data"]} for r in m["charts"]],
        hide_index=True, key="export_figures",
    )
