"""The server settings that protect users: upload size limit and no tracebacks for viewers."""

from __future__ import annotations

import tomllib

import pytest

from etl import reader
from tests.conftest import ROOT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_upload_size_is_limited_below_what_the_reader_accepts():
    limit_mb = CONFIG["server"]["maxUploadSize"]
    assert 1 <= limit_mb <= 50
    assert limit_mb * 1024 * 1024 <= reader.MAX_FILE_BYTES


def test_viewers_never_see_tracebacks():
    assert CONFIG["client"]["showErrorDetails"] == "none"


def test_the_reader_refuses_a_file_over_its_own_limit():
    with pytest.raises(reader.UnreadableWorkbook, match="larger than 50 MB"):
        reader.read_workbook(b"PK" + b"\0" * (reader.MAX_FILE_BYTES + 1))
