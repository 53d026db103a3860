"""The layout's rules, checked on the source: the engine's layers import only downwards, only `cnnlab.app` speaks
Streamlit, and nothing imports Streamlit's private modules (which change without notice between releases)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "cnnlab"
APP_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted(ENGINE.rglob("*.py"))]
# Bottom to top, as `cnnlab/__init__.py` lists them: a module may import its own layer and the ones before it.
LAYERS = [{"config", "words"}, {"digits"}, {"network"}, {"jobs"}, {"lens"}, {"pictures"}, {"app"}]
LAYER_OF = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def layer(module: str) -> int:
    """The layer of a dotted `cnnlab.…` name."""
    return LAYER_OF[module.split(".")[1]]


def engine_modules() -> list[Path]:
    return sorted(path for path in ENGINE.rglob("*.py") if path.name != "__init__.py" or path.parent != ENGINE)


def test_every_engine_module_belongs_to_a_layer():
    outside = [str(path.relative_to(ROOT)) for path in engine_modules()
               if path.relative_to(ENGINE).parts[0].removesuffix(".py") not in LAYER_OF]
    assert outside == []


@pytest.mark.parametrize("path", engine_modules(), ids=lambda path: str(path.relative_to(ENGINE)))
def test_engine_modules_import_only_their_own_layer_or_lower(path):
    own = LAYER_OF[path.relative_to(ENGINE).parts[0].removesuffix(".py")]
    upward = [name for name in imported_modules(path) if name.startswith("cnnlab.") and layer(name) > own]
    assert upward == []


def test_the_app_imports_only_streamlits_public_api():
    offending = {str(path.relative_to(ROOT)): name for path in APP_FILES for name in imported_modules(path)
                 if name.startswith("streamlit.")}
    assert offending == {}


def test_only_the_app_package_of_the_engine_imports_streamlit():
    engine = [path for path in engine_modules() if path.relative_to(ENGINE).parts[0] != "app"]
    assert len(engine) > 30
    speaking = [str(path.relative_to(ROOT)) for path in engine
                if any(name == "streamlit" or name.startswith("streamlit.") for name in imported_modules(path))]
    assert speaking == []

