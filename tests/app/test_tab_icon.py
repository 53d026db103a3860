"""The browser tab's icon is a picture the app sends itself. A Material icon (`:material/…:`) as page_icon made every
browser fetch it from Google's font CDN, which fails offline. It goes inside the page as a data address of the PNG
beside the app; Streamlit passes a string it cannot read as a picture on to the browser as it is, with no error, so
the test decodes it."""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from helpers import HOME, open_page
from PIL import Image


def test_the_tab_icon_is_the_png_file_beside_the_app(empty_service, monkeypatch):
    from scripts import make_app_icon

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
        prefix = "data:image/png;base64,"
        assert str(icon).startswith(prefix), str(icon)[:40]
        sent = base64.b64decode(icon.removeprefix(prefix), validate=True)
        assert sent == make_app_icon.OUTPUT_PATH.read_bytes()
        with Image.open(io.BytesIO(sent)) as picture:
            assert picture.format == "PNG" and picture.width == picture.height >= 32


def test_the_shipped_icon_is_the_one_the_script_draws():
    # The PNG is made by scripts/make_app_icon.py; an icon edited by hand would drift from its pixel map.
    from scripts import make_app_icon

    with Image.open(make_app_icon.OUTPUT_PATH) as shipped:
        assert shipped.size == (64, 64) and shipped.mode == "RGBA"
        assert np.array_equal(np.asarray(shipped), np.asarray(make_app_icon.draw_icon()))
