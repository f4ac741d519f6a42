"""Export: build the Council pack (Word, PowerPoint, zip of figures and data) for a selection.

Thin on purpose: widgets here, everything else in isc.pack (no Streamlit there). A pack is built
for one data version (latest by default; any earlier one can be chosen, or read back from a
pack's manifest) so a document sent to Council can be rebuilt later with the same numbers.
"""

import io
import json
import zipfile

import streamlit as st

from isc import pack
from isc.db import connection
from pages.common import filters, q

f = filters()
st.header("Export for Council documents", anchor=False)
periods = q("periods")[::-1]
if not periods:
    st.info("No report has been loaded yet: there is nothing to export.")
    st.stop()
st.caption(
    "Figures are 16 cm wide at 300 dpi, numbered, with a caption and a source line naming the data "
    "version. The zip holds every figure as PNG and SVG, its data as CSV and Excel, and a manifest "
    "to rebuild the same pack later."
)

themes = q("themes")
tracks = q("tracks")
versions = q("data_versions")
theme_names = dict(zip(themes["code"], themes["name"], strict=True))
track_names = dict(zip(tracks["code"], tracks["name"], strict=True))
version_list = versions["version"].astype(int).tolist()


def version_label(v: int | None) -> str:
    """None is "the latest at build time", so a page left open never builds a stale version."""
    if v is None:
        return f"Latest (now v{version_list[0]})" if version_list else "Latest"
    row = versions[versions["version"] == v].iloc[0]
    what = " ".join(str(x) for x in (row["theme"], row["period"], row["sector"]) if isinstance(x, str))
    return f"v{v} · {row['happened_at']:%Y-%m-%d %H:%M} · {row['action']} {what}".strip()


with st.expander("Rebuild an earlier pack from its manifest", icon=":material/history:"):
    sent = st.file_uploader("A pack's .zip or its manifest.json", type=["zip", "json"], key="export_manifest")
    if sent is not None:
        try:
            raw = sent.getvalue()
            manifest = pack.read_manifest(raw) if zipfile.is_zipfile(io.BytesIO(raw)) else json.loads(raw)
            args = pack.rebuild_args(manifest)
        except (KeyError, ValueError, zipfile.BadZipFile) as e:
            st.error(f"This is not a pack manifest: {e}")
        else:
            st.write(f"Data version {args['version']}, period {args['period']}, {len(manifest['charts'])} figures.")
            if st.button("Use these settings", key="export_use_manifest"):
                st.session_state.update(
                    export_period=args["period"],
                    export_version=args["version"],
                    export_themes=[t for t in args["themes"] if t in theme_names],
                    export_tracks=[t for t in args["tracks"] if t in track_names],
                    export_charts=list(args["charts"]),
                )
                st.rerun()

defaults = {
    "export_period": f["period"] if f["period"] in periods else periods[0],
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
        st.selectbox("Period", periods, key="export_period")
        st.multiselect(
            "Tracks", list(track_names), key="export_tracks", format_func=lambda c: track_names.get(c, c),
            placeholder="All tracks",
        )
        st.multiselect(
            "Themes", list(theme_names), key="export_themes", format_func=lambda c: theme_names.get(c, c),
            placeholder="All themes", help="Status history and indicator charts are made for each theme chosen here.",
        )
    with right:
        st.multiselect(
            "Charts", list(pack.CATALOGUE), key="export_charts",
            format_func=lambda k: pack.CATALOGUE[k].title + (" (per theme)" if pack.CATALOGUE[k].per_theme else ""),
        )
        st.selectbox(
            "Data version", [None, *version_list], key="export_version", format_func=version_label,
            placeholder=version_label(None),
            help="Choose an earlier version to rebuild an old export with the numbers it had then.",
        )
    build = st.form_submit_button("Build the Council pack", type="primary", icon=":material/build:",
                                  key="export_build")
if f["sector"]:
    st.caption(f"The sidebar's Sector filter ({f['sector']}) does not apply: a pack covers every Sector.")

if build:
    bar = st.progress(0.0, text="Starting")
    try:
        result = pack.build_pack(
            db=str(connection.db_path()),
            version=st.session_state["export_version"],
            period=st.session_state["export_period"],
            themes=tuple(st.session_state["export_themes"]),
            tracks=tuple(st.session_state["export_tracks"]),
            charts=tuple(st.session_state["export_charts"]),
            progress=lambda fraction, text: bar.progress(fraction, text=text),
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
        f"{len(result.items)} figure{'' if len(result.items) == 1 else 's'}, period {m['period']}, data version {m['version']} "
        f"(as of {m['as_of'][:10] if m['as_of'] else 'n/a'}); selection: {m['selection']['text']}."
    )
    for note in result.notes:
        st.warning(note)
    labels = {"docx": "Word document (.docx)", "pptx": "Slides (.pptx)", "zip": "Figures and data (.zip)"}
    icons = {"docx": ":material/description:", "pptx": ":material/slideshow:", "zip": ":material/folder_zip:"}
    with st.container(horizontal=True):
        for ext, label in labels.items():
            st.download_button(
                label, result.files[ext], file_name=result.file_names[ext], mime=pack.Pack.MIME[ext],
                key=f"export_download_{ext}", icon=icons[ext], on_click="ignore",
            )
    st.dataframe(
        [{"figure": r["number"], "title": r["title"], "data": r["data"]} for r in m["charts"]],
        hide_index=True, key="export_figures",
    )
