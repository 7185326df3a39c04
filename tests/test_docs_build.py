"""The documentation builds with ``mkdocs build --strict`` and says only what works.

mkdocs and the Material theme come with the ``testing`` extra
(``tests/install-deps.sh``). The site is written to a temporary directory,
never into the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "docs", "content")

# gunicorn 25.0 features this release does not have yet (pattern -> label);
# the gevent, gevent_pywsgi and eventlet workers are here (HTTP/2 on gevent and eventlet)
COMING: dict[str, str] = {}


def _pages() -> list[str]:
    pages = [os.path.join(ROOT, "README.rst")]
    for dirpath, _, names in os.walk(CONTENT):
        pages += [os.path.join(dirpath, n) for n in names if n.endswith(".md")]
    return sorted(pages)


def test_mkdocs_build_strict(tmp_path):
    try:
        import material  # noqa: F401  (the theme mkdocs.yml names)
        import mkdocs  # noqa: F401
    except ImportError as exc:  # a missing test dependency is a failure, not a skip
        pytest.fail("mkdocs / mkdocs-material missing: run tests/install-deps.sh (%s)" % exc)

    site = tmp_path / "site"
    repo_site = os.path.join(ROOT, "build", "site")
    existed = os.path.exists(repo_site)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
         "--config-file", os.path.join(ROOT, "mkdocs.yml"), "--site-dir", str(site)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr

    for page in ("index.html", "workers/index.html", "reference/settings/index.html",
                 "install/index.html", "404.html", "search/search_index.json"):
        assert (site / page).is_file(), page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Coming" in index
    assert (site / "reference" / "settings" / "index.html").read_text(
        encoding="utf-8").count('id="suppress_ragged_eofs"') == 1
    # nothing was written into the repository
    assert os.path.exists(repo_site) == existed


@pytest.mark.parametrize("path", _pages(), ids=lambda p: os.path.relpath(p, ROOT))
def test_pages_mark_coming_features(path):
    """A page that names a feature this release does not have says it is coming."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    named = [label for pattern, label in COMING.items() if re.search(pattern, text)]
    if named:
        assert re.search(r"\bcoming\b", text, re.I), (
            "%s mentions %s without marking it as coming" % (os.path.relpath(path, ROOT), named))


def test_docs_do_not_show_flags_that_do_not_exist():
    """Claims the docs made before that were never true are gone."""
    for path in _pages():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        assert "--no-suppress-ragged-eofs" not in text, rel


def test_version_in_docs_is_the_one_we_report():
    import gunicorn

    with open(os.path.join(CONTENT, "install.md"), encoding="utf-8") as f:
        assert "gunicorn (version %s)" % gunicorn.__version__ in f.read()


def test_greenlet_workers_documented_as_available():
    """gevent, gevent_pywsgi and eventlet work (HTTP/2 on gevent and eventlet too);
    no page calls them, or HTTP/2 on them, coming."""
    with open(os.path.join(CONTENT, "workers.md"), encoding="utf-8") as f:
        workers = f.read()
    for heading in ("## `gevent`", "## `gevent_pywsgi`", "## `eventlet` (deprecated)"):
        assert heading in workers
    stale = re.compile(r"`(gevent|gevent_wsgi|gevent_pywsgi|eventlet)` worker is coming"
                       r"|coming: gevent|\bthe coming `(gevent|eventlet)`"
                       r"|HTTP/2 on the ``gevent`` and ``eventlet``\s+workers"
                       r"|HTTP/2 on them is\s+still coming")
    for path in _pages():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert not stale.search(text), os.path.relpath(path, ROOT)


# Features that landed: a sentence naming one of them next to "coming" is stale.
LANDED = ("WebSocket over HTTP/2", "over HTTP/2 coming", "RFC 8441", "uWSGI", "uwsgi_pass", "PROXY protocol",
          "HTTP/2 on gevent", "frameworks")


def test_landed_features_not_called_coming():
    """No sentence calls WebSocket over HTTP/2, uWSGI, the PROXY protocol,
    HTTP/2 on the greenlet workers or the framework tests coming."""
    for path in _pages():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for sentence in re.split(r"(?<=[.;|])\s+|\n\s*\n", text):
            if not re.search(r"\bcoming\b", sentence, re.I):
                continue
            named = [feature for feature in LANDED if feature.lower() in sentence.lower()]
            assert not named, "%s calls %s coming: %r" % (
                os.path.relpath(path, ROOT), named, sentence.strip()[:200])
