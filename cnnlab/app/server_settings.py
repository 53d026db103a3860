"""Settings a teacher or host gives the server: an environment variable, or the same key in
`.streamlit/secrets.toml` (Community Cloud's "Secrets" box writes that file)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st


def server_setting(name: str) -> str | None:
    """The setting `name` from the environment, else from Streamlit's secrets; None when neither has it."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    # Reading `st.secrets` makes Streamlit poll its files for changes for the rest of the server's life, a few times a
    # second: only a server that has a secrets file pays that.
    if not any(Path(path).is_file() for path in st.get_option("secrets.files")):
        return None
    try:
        value = st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets file (the usual case) or an unreadable one: the setting is unset
        return None
    return str(value).strip() or None if value is not None else None
