"""User-interface text in message catalogues: data/i18n/<language>.json.

A catalogue is a flat JSON object of key -> text (Python str.format placeholders allowed), plus
a "_meta" entry with the language's own name and its writing direction. Adding a language is
adding a file: nothing in the code lists languages. A key missing from a catalogue falls back to
English, so a partial translation still shows a complete interface.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parent.parent / "data" / "i18n"
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = I18N_DIR / f"{lang}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def languages() -> dict[str, str]:
    """Language code -> its own name, for every catalogue shipped (English first)."""
    codes = sorted(p.stem for p in I18N_DIR.glob("*.json"))
    codes.sort(key=lambda c: c != DEFAULT)
    return {c: catalogue(c).get("_meta", {}).get("name", c) for c in codes}


def direction(lang: str) -> str:
    return catalogue(lang).get("_meta", {}).get("dir", "ltr")


def translate(lang: str, key: str, **values) -> str:
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def plural(lang: str, key: str, n: int, **values) -> str:
    """`key.one` or `key.other` with {n} filled in. "_meta": {"one": [0, 1]} says which counts take
    the singular (default [1]; French uses [0, 1])."""
    ones = catalogue(lang).get("_meta", {}).get("one", [1]) if catalogue(lang) else [1]
    form = "one" if n in ones else "other"
    return translate(lang, f"{key}.{form}", n=n, **values)


def supported(lang: str | None) -> str:
    """The language code if a catalogue is shipped for it, else the default."""
    return lang if lang and (I18N_DIR / f"{lang}.json").exists() else DEFAULT


def keys(lang: str) -> set[str]:
    return {k for k in catalogue(lang) if k != "_meta"}
