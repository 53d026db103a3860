"""Settings a teacher or host gives the server: an environment variable, or the same key in
`.streamlit/secrets.toml` (Community Cloud's "Secrets" box writes that file)."""

from __future__ import annotations

import os

import streamlit as st


def server_setting(name: str) -> str | None:
    """The setting `name` from the environment, else from Streamlit's secrets; None when neither has it."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    try:
        value = st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets file (the usual case) or an unreadable one: the setting is unset
        return None
    return str(value).strip() or None if value is not None else None
