"""The browser tab's icon is a file the app sends itself. A Material icon (`:material/…:`) as page_icon made every
browser fetch it from Google's font CDN, which fails offline; and a path Streamlit cannot open is passed on to the
browser as it is, with no error, so the file must be there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from helpers import HOME, open_page
from PIL import Image


def test_the_tab_icon_is_a_png_file_beside_the_app(empty_service, monkeypatch):
    icons = []
    set_page_config = st.set_page_config

    def note_icon(**settings):
        icons.append(settings.get("page_icon"))
        set_page_config(**settings)

    monkeypatch.setattr(st, "set_page_config", note_icon)
    app = open_page(HOME)
    assert not app.exception, [item.value for item in app.exception]
    assert icons, "the app set no page config"
    for icon in icons:
        assert not str(icon).startswith(":material"), icon
        assert Path(icon).is_file(), icon
        with Image.open(icon) as picture:
            assert picture.format == "PNG" and picture.width == picture.height >= 32


def test_the_shipped_icon_is_the_one_the_script_draws():
    # The PNG is made by scripts/make_app_icon.py; an icon edited by hand would drift from its pixel map.
    from scripts import make_app_icon

    with Image.open(make_app_icon.OUTPUT_PATH) as shipped:
        assert shipped.size == (64, 64) and shipped.mode == "RGBA"
        assert np.array_equal(np.asarray(shipped), np.asarray(make_app_icon.draw_icon()))
