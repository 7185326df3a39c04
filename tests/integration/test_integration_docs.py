"""The documentation tree stays consistent with the code (no mkdocs run)."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from tests.integration.integration_support import EXAMPLES, ROOT

DOCS = os.path.join(ROOT, "docs")
CONTENT = os.path.join(DOCS, "content")


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_settings", os.path.join(DOCS, "gen_settings.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_page_is_current():
    from gunicorn.config import KNOWN_SETTINGS

    expected = _load_generator().render(KNOWN_SETTINGS)
    with open(os.path.join(CONTENT, "reference", "settings.md"), encoding="utf-8") as f:
        committed = f.read()
    assert committed == expected, "settings.md is stale: run python3 docs/gen_settings.py"


def test_settings_page_lists_every_setting():
    from gunicorn.config import KNOWN_SETTINGS

    with open(os.path.join(CONTENT, "reference", "settings.md"), encoding="utf-8") as f:
        page = f.read()
    for setting in KNOWN_SETTINGS:
        assert "### `%s`" % setting.name in page
        for flag in setting.cli or []:
            assert "`%s" % flag in page


def test_nav_pages_exist():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as f:
        config = f.read()
    pages = re.findall(r":\s+(\S+\.md)\s*$", config, re.M)
    assert "index.md" in pages and "reference/settings.md" in pages
    for page in pages:
        assert os.path.isfile(os.path.join(CONTENT, page)), page


def test_relative_links_resolve():
    for dirpath, _, names in os.walk(CONTENT):
        for name in names:
            if not name.endswith(".md"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", text):
                assert os.path.isfile(os.path.join(dirpath, target)), (path, target)


@pytest.mark.parametrize("name", sorted(
    os.path.relpath(os.path.join(d, n), EXAMPLES)
    for d, _, ns in os.walk(EXAMPLES) for n in ns if n.endswith(".py")))
def test_example_compiles(name):
    path = os.path.join(EXAMPLES, name)
    with open(path, "rb") as f:
        compile(f.read(), path, "exec")
