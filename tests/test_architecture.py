"""The layout's rules, checked on the source: the engine does not speak Streamlit, and nothing imports Streamlit's
private modules (which change without notice between releases)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "app_pages").glob("*.py")),
             *sorted((ROOT / "cnnlab").rglob("*.py"))]
# The one engine module allowed to use Streamlit (the shared page helpers).
STREAMLIT_MODULES = {ROOT / "cnnlab" / "ui.py"}


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_the_app_imports_only_streamlits_public_api():
    offending = {str(path.relative_to(ROOT)): name for path in APP_FILES for name in imported_modules(path)
                 if name.startswith("streamlit.")}
    assert offending == {}


def test_only_the_ui_module_of_the_engine_imports_streamlit():
    engine = [path for path in (ROOT / "cnnlab").rglob("*.py") if path not in STREAMLIT_MODULES]
    assert len(engine) > 10
    speaking = [str(path.relative_to(ROOT)) for path in engine
                if any(name == "streamlit" or name.startswith("streamlit.") for name in imported_modules(path))]
    assert speaking == []
