"""gunicorn.app.importer.import_app: the APP_MODULE forms and their error messages."""

from __future__ import annotations

import itertools
import logging
import sys

import pytest

from gunicorn import util
from gunicorn.app.importer import AppModuleNotFound, import_app
from gunicorn.errors import AppImportError

_counter = itertools.count()

SOURCE = '''
def application(environ, start_response):
    return [b"default"]

def app(environ, start_response):
    return [b"app"]

def create_app(name="x", *, debug=False):
    def inner(environ, start_response):
        return [("%s:%s" % (name, debug)).encode()]
    return inner

def make_none():
    return None

def broken_factory():
    return len(1)

class AppClass:
    def __init__(self, a):
        self.a = a
    def __call__(self, environ, start_response):
        return [self.a]

not_callable = 42
nothing = None
'''


@pytest.fixture
def mod(tmp_path, monkeypatch):
    """Write SOURCE as a uniquely named module on sys.path and return its name."""
    name = "importer_fixture_%d" % next(_counter)
    (tmp_path / (name + ".py")).write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def call(app):
    return app({}, None)[0]


def test_default_attribute(mod):
    assert call(import_app(mod)) == b"default"


def test_named_attribute(mod):
    assert call(import_app(mod + ":app")) == b"app"
    assert call(import_app(mod + ": app ")) == b"app"


def test_factory_forms(mod):
    assert call(import_app(mod + ":create_app()")) == b"x:False"
    assert call(import_app(mod + ":create_app('prod', debug=True)")) == b"prod:True"
    assert call(import_app(mod + ':create_app(name=("a", 1))')) == b"('a', 1):False"


def test_class_factory(mod):
    assert call(import_app(mod + ":AppClass(b'z')")) == b"z"


def test_util_import_app_delegates(mod):
    assert call(util.import_app(mod + ":app")) == b"app"


@pytest.mark.parametrize("expr", ["app(", "app.attr", "1 + 2", "app[0]", "lambda: 1"])
def test_failed_to_parse(mod, expr):
    with pytest.raises(AppImportError, match="Failed to parse"):
        import_app("%s:%s" % (mod, expr))


def test_function_reference_must_be_a_name(mod):
    with pytest.raises(AppImportError, match="Function reference must be a simple name"):
        import_app(mod + ":obj.create()")


@pytest.mark.parametrize("expr", ["create_app(os)", "create_app(*a)", "create_app(**k)",
                                  "create_app(x=y)"])
def test_arguments_must_be_literals(mod, expr):
    with pytest.raises(AppImportError, match="Failed to parse arguments as literal values"):
        import_app("%s:%s" % (mod, expr))


def test_missing_attribute(mod):
    with pytest.raises(AppImportError) as exc:
        import_app(mod + ":nope")
    assert str(exc.value) == "Failed to find attribute 'nope' in '%s'." % mod


def test_missing_attribute_traceback_in_debug(mod, capsys):
    old = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    try:
        with pytest.raises(AppImportError):
            import_app(mod + ":nope")
    finally:
        logging.root.setLevel(old)
    assert "AttributeError" in capsys.readouterr().err


def test_none_application(mod):
    with pytest.raises(AppImportError, match="Failed to find application object: 'nothing'"):
        import_app(mod + ":nothing")
    with pytest.raises(AppImportError, match="Failed to find application object"):
        import_app(mod + ":make_none()")


def test_not_callable(mod):
    with pytest.raises(AppImportError) as exc:
        import_app(mod + ":not_callable")
    assert str(exc.value) == "Application object must be callable."


def test_factory_argument_error_has_no_traceback(mod):
    with pytest.raises(AppImportError) as exc:
        import_app(mod + ":create_app(1, 2, 3)")
    assert str(exc.value).startswith("TypeError: create_app() takes")
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_type_error_inside_factory_propagates(mod):
    with pytest.raises(TypeError, match="has no len"):
        import_app(mod + ":broken_factory()")


def test_class_factory_argument_error(mod):
    with pytest.raises(AppImportError, match="TypeError"):
        import_app(mod + ":AppClass()")


def test_module_not_found():
    with pytest.raises(ImportError) as exc:
        import_app("no_such_module_for_tests:app")
    assert not isinstance(exc.value, AppImportError)


def test_py_file_hint(mod):
    with pytest.raises(AppModuleNotFound) as exc:
        import_app(mod + ".py")
    assert "did you mean '%s:application'?" % mod in str(exc.value)
    assert isinstance(exc.value, ImportError) and isinstance(exc.value, AppImportError)
    with pytest.raises(AppImportError, match="did you mean '%s:app'" % mod):
        import_app(mod + ".py:app")
