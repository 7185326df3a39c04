"""Unit tests for every validator in gunicorn.config."""

from __future__ import annotations

import grp
import os
import pwd
import ssl

import pytest

from gunicorn import config
from gunicorn.errors import ConfigError


class TestValidateBool:
    @pytest.mark.parametrize("raw, expected", [
        (True, True), (False, False), (None, None),
        ("true", True), ("TRUE", True), (" True ", True), ("false", False), ("False", False),
    ])
    def test_accepted(self, raw, expected):
        assert config.validate_bool(raw) is expected

    def test_bad_string(self):
        with pytest.raises(ValueError, match="Invalid boolean"):
            config.validate_bool("yes please")

    def test_bad_type(self):
        with pytest.raises(TypeError):
            config.validate_bool(1)


def test_validate_dict():
    d = {"a": 1}
    assert config.validate_dict(d) is d
    with pytest.raises(TypeError):
        config.validate_dict([("a", 1)])


class TestValidatePosInt:
    @pytest.mark.parametrize("raw, expected", [
        (0, 0), (5, 5), ("5", 5), (" 7 ", 7), ("0x10", 16), ("0o17", 15), (True, 1),
    ])
    def test_accepted(self, raw, expected):
        assert config.validate_pos_int(raw) == expected

    def test_negative(self):
        with pytest.raises(ValueError, match="positive"):
            config.validate_pos_int(-1)
        with pytest.raises(ValueError):
            config.validate_pos_int("-3")

    def test_garbage(self):
        with pytest.raises(ValueError):
            config.validate_pos_int("ten")


def test_validate_http2_frame_size():
    assert config.validate_http2_frame_size(16384) == 16384
    assert config.validate_http2_frame_size("16777215") == 16777215
    for bad in (16383, 16777216, 0):
        with pytest.raises(ValueError):
            config.validate_http2_frame_size(bad)


def test_validate_ssl_version(capsys):
    assert config.validate_ssl_version(ssl.PROTOCOL_TLS) == ssl.PROTOCOL_TLS
    assert capsys.readouterr().err == ""
    assert config.validate_ssl_version("TLSv1_2") == "TLSv1_2"
    assert "deprecated" in capsys.readouterr().err


def test_validate_string():
    assert config.validate_string("  x ") == "x"
    assert config.validate_string(None) is None
    with pytest.raises(TypeError):
        config.validate_string(3)


def test_validate_file_exists(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    assert config.validate_file_exists(str(f)) == str(f)
    assert config.validate_file_exists(None) is None
    with pytest.raises(ValueError, match="does not exist"):
        config.validate_file_exists(str(tmp_path / "missing"))


def test_validate_list_string():
    assert config.validate_list_string(None) == []
    assert config.validate_list_string("") == []
    assert config.validate_list_string(" a ") == ["a"]
    assert config.validate_list_string(["a ", " b"]) == ["a", "b"]
    with pytest.raises(TypeError):
        config.validate_list_string([1])


def test_validate_list_of_existing_files(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    assert config.validate_list_of_existing_files(str(f)) == [str(f)]
    assert config.validate_list_of_existing_files([]) == []
    with pytest.raises(ValueError):
        config.validate_list_of_existing_files([str(f), str(tmp_path / "nope")])


def test_validate_string_to_list():
    assert config.validate_string_to_list("a, b,,c ") == ["a", "b", "c"]
    assert config.validate_string_to_list("") == []
    assert config.validate_string_to_list(None) == []
    assert config.validate_string_to_list(["x", " y "]) == ["x", "y"]


class TestValidateStringToAddrList:
    def test_items_stay_strings(self):
        result = config.validate_string_to_addr_list("127.0.0.1, ::1,10.0.0.0/8,*")
        assert result == ["127.0.0.1", "::1", "10.0.0.0/8", "*"]
        assert all(isinstance(item, str) for item in result)

    @pytest.mark.parametrize("bad", ["10.0.0.1/8", "not-an-ip", "300.1.1.1", "localhost"])
    def test_rejects(self, bad):
        with pytest.raises(ValueError):
            config.validate_string_to_addr_list(bad)


def test_validate_class():
    class K:
        pass

    def factory():
        return K

    assert config.validate_class(K) is K
    assert config.validate_class(factory) is K
    assert config.validate_class(" gunicorn.workers.sync.SyncWorker ") == "gunicorn.workers.sync.SyncWorker"
    with pytest.raises(TypeError):
        config.validate_class(3)


class TestValidateCallable:
    def test_exact_arity(self):
        def one(a):
            pass

        assert config.validate_callable(1)(one) is one
        with pytest.raises(TypeError, match="arity of: 2"):
            config.validate_callable(2)(one)

    def test_defaults_count(self):
        def two(a, b=1):
            pass

        assert config.validate_callable(2)(two) is two

    def test_any_arity(self):
        def f(*args):
            pass

        assert config.validate_callable(-1)(f) is f

    def test_dotted_string(self):
        assert config.validate_callable(1)("os.path.basename") is os.path.basename

    def test_bad_strings(self):
        with pytest.raises(TypeError, match="not import string"):
            config.validate_callable(1)("nodots")
        with pytest.raises(TypeError):
            config.validate_callable(1)("no_such_module_xyz.func")
        with pytest.raises(TypeError, match="Can not load"):
            config.validate_callable(1)("os.path.no_such_func")

    def test_not_callable(self):
        with pytest.raises(TypeError, match="not callable"):
            config.validate_callable(1)(42)


def test_validate_user():
    assert config.validate_user(None) == os.geteuid()
    assert config.validate_user(0) == 0
    assert config.validate_user("0") == 0
    name = pwd.getpwuid(os.geteuid()).pw_name
    assert config.validate_user(name) == os.geteuid()
    with pytest.raises(ConfigError, match="No such user"):
        config.validate_user("no-such-user-xyz")


def test_validate_group():
    assert config.validate_group(None) == os.getegid()
    assert config.validate_group("0") == 0
    name = grp.getgrgid(os.getegid()).gr_name
    assert config.validate_group(name) == os.getegid()
    with pytest.raises(ConfigError, match="No such group"):
        config.validate_group("no-such-group-xyz")


class TestValidatePostRequest:
    def test_four(self):
        def hook(worker, req, environ, resp):
            return (worker, req, environ, resp)

        assert config.validate_post_request(hook) is hook

    def test_three(self):
        def hook(worker, req, environ):
            return (worker, req, environ)

        adapted = config.validate_post_request(hook)
        assert adapted(1, 2, 3, 4) == (1, 2, 3)

    def test_two(self):
        def hook(worker, req):
            return (worker, req)

        assert config.validate_post_request(hook)(1, 2, 3, 4) == (1, 2)

    def test_bad(self):
        def hook(worker):
            pass

        with pytest.raises(TypeError):
            config.validate_post_request(hook)


def test_validate_chdir(tmp_path, monkeypatch):
    assert config.validate_chdir(str(tmp_path)) == str(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PWD", raising=False)
    (tmp_path / "sub").mkdir()
    assert config.validate_chdir("sub") == str(tmp_path / "sub")
    with pytest.raises(ConfigError, match="can't chdir"):
        config.validate_chdir("missing")


@pytest.mark.parametrize("raw, expected", [
    ("localhost", ("localhost", 8125)),
    ("statsd:9125", ("statsd", 9125)),
    ("[::1]:8125", ("::1", 8125)),
    ("unix:8125", ("unix", 8125)),
    ("unix:///run/statsd.sock", "/run/statsd.sock"),
    (None, None),
])
def test_validate_statsd_address(raw, expected):
    assert config.validate_statsd_address(raw) == expected


def test_validate_statsd_address_bad():
    with pytest.raises(TypeError):
        config.validate_statsd_address("host:port")


def test_validate_reload_engine():
    for engine in ("auto", "poll", "inotify"):
        assert config.validate_reload_engine(engine) == engine
    with pytest.raises(ConfigError):
        config.validate_reload_engine("watchman")


@pytest.mark.parametrize("raw, expected", [
    (None, "off"), (True, "auto"), (False, "off"), ("true", "auto"), ("1", "auto"),
    ("false", "off"), ("0", "off"), ("none", "off"), ("v1", "v1"), ("V2", "v2"),
    ("auto", "auto"), ("off", "off"),
])
def test_validate_proxy_protocol(raw, expected):
    assert config.validate_proxy_protocol(raw) == expected


def test_validate_proxy_protocol_bad():
    with pytest.raises(ValueError):
        config.validate_proxy_protocol("v3")


class TestValidateHttpProtocols:
    def test_forms(self):
        assert config.validate_http_protocols("h2,h1") == ["h2", "h1"]
        assert config.validate_http_protocols(" H1 , h2 ") == ["h1", "h2"]
        assert config.validate_http_protocols("") == ["h1"]
        assert config.validate_http_protocols(",h2,,h1,") == ["h2", "h1"]
        assert config.validate_http_protocols(None) == ["h1"]

    def test_errors(self):
        with pytest.raises(ValueError):
            config.validate_http_protocols("h1,h1")
        with pytest.raises(ValueError, match="Invalid protocol 'h4'"):
            config.validate_http_protocols("h4")
        with pytest.raises(ValueError):
            config.validate_http_protocols("h2,h3")
        with pytest.raises(TypeError):
            config.validate_http_protocols(2)

    @pytest.mark.parametrize("value", [["h1"], ["h2", "h1"], ("h1",), [], b"h1"])
    def test_non_string_is_a_type_error(self, value):
        # gunicorn 25.0 takes only the comma-separated string form
        with pytest.raises(TypeError, match="comma-separated string"):
            config.validate_http_protocols(value)
        cfg = config.Config()
        with pytest.raises(TypeError):
            cfg.set("http_protocols", value)
        assert cfg.http_protocols == ["h1"]


def test_validate_header_map_behaviour():
    for mode in ("drop", "refuse", "dangerous"):
        assert config.validate_header_map_behaviour(mode.upper()) == mode
    with pytest.raises(TypeError):
        config.validate_header_map_behaviour(None)
    with pytest.raises(ValueError):
        config.validate_header_map_behaviour("keep")


def test_validate_asgi_loop_and_lifespan():
    for loop in ("auto", "asyncio", "uvloop"):
        assert config.validate_asgi_loop(loop) == loop
    for mode in ("auto", "on", "off"):
        assert config.validate_asgi_lifespan(mode) == mode
    with pytest.raises(ValueError):
        config.validate_asgi_loop("trio")
    with pytest.raises(ValueError):
        config.validate_asgi_lifespan("maybe")


def test_later_validators():
    assert config.validate_http_parser("FAST") == "fast"
    assert config.validate_http2_cleartext("both") == "both"
    assert config.validate_protocol("uwsgi") == "uwsgi"
    for func in (config.validate_http_parser, config.validate_http2_cleartext,
                 config.validate_protocol):
        with pytest.raises(ValueError):
            func("bogus")


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("022", 0o22), ("0o22", 0o22), ("18", 18), ("0x12", 18), ("0777", 0o777),
])
def test_auto_int(raw, expected):
    assert config.auto_int(raw) == expected
    assert config.auto_int(None, raw) == expected


def test_constants():
    # h3 is refused since gunicorn 26.2
    assert config.VALID_HTTP_PROTOCOLS == {"h1", "h2"}
    assert config.ALPN_PROTOCOL_MAP == {"h1": "http/1.1", "h2": "h2"}


def test_get_default_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert config.get_default_config_file() is None
    (tmp_path / "gunicorn.conf.py").write_text("")
    assert config.get_default_config_file() == str(tmp_path / "gunicorn.conf.py")
