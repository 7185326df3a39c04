"""Smaller compatibility points of the configuration layer and its helpers."""

import os
import warnings

import pytest

from gunicorn import util
from gunicorn.config import Config, _get_default_control_socket, default_control_socket_path


def test_warn_banner_labels_the_first_line(capsys):
    util.warn("first line\nsecond line")
    err = capsys.readouterr().err
    assert err.splitlines() == ["!!!", "!!! WARNING: first line", "!!! second line", "!!!", ""]


def test_setting_added_later_is_read_through_its_get():
    class Computed:
        def get(self):
            return 42

    cfg = Config()
    cfg.settings["answer"] = Computed()
    assert cfg.answer == 42
    with pytest.raises(AttributeError):
        cfg.no_such_setting  # noqa: B018


def test_default_control_socket_path_prefers_runtime_dir(monkeypatch, tmp_path):
    assert _get_default_control_socket is default_control_socket_path
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert default_control_socket_path() == str(tmp_path / "gunicorn.ctl")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_control_socket_path() == os.path.join(str(tmp_path), ".gunicorn", "gunicorn.ctl")
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert default_control_socket_path().endswith(os.path.join(".gunicorn", "gunicorn.ctl"))


def test_reload_extra_files_accepts_glob_patterns(tmp_path):
    cfg = Config()
    plain = tmp_path / "settings.toml"
    plain.write_text("")
    (tmp_path / "t.html").write_text("")
    pattern = str(tmp_path / "*.html")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.set("reload_extra_files", [str(plain), pattern])
    assert cfg.reload_extra_files == [str(plain), pattern]

    empty = str(tmp_path / "later" / "*.json")
    with pytest.warns(RuntimeWarning, match="matches no files"):
        cfg.set("reload_extra_files", [empty])
    assert cfg.reload_extra_files == [empty]

    with pytest.raises(ValueError):
        cfg.set("reload_extra_files", [str(tmp_path / "absent.txt")])


def test_limit_request_field_size_zero_selects_the_default():
    from gunicorn.http.core.settings import DEFAULT_MAX_HEADERFIELD_SIZE, ParserSettings

    cfg = Config()
    cfg.set("limit_request_field_size", 0)
    assert ParserSettings(cfg).limit_request_field_size == DEFAULT_MAX_HEADERFIELD_SIZE


def test_http2_numeric_limits():
    cfg = Config()
    # 0 is accepted as in gunicorn 25.0 (validate_pos_int; RFC 9113 section 6.5.2)
    cfg.set("http2_max_concurrent_streams", 0)
    assert cfg.http2_max_concurrent_streams == 0
    cfg.set("http2_max_concurrent_streams", "7")
    assert cfg.http2_max_concurrent_streams == 7
    with pytest.raises(ValueError):
        cfg.set("http2_max_concurrent_streams", -1)
    cfg.set("http2_max_concurrent_streams", 1)
    cfg.set("http2_initial_window_size", 2 ** 31 - 1)
    with pytest.raises(ValueError):
        cfg.set("http2_initial_window_size", 2 ** 31)


def test_validate_checks_h2_setup(monkeypatch, capsys):
    from gunicorn import config as config_module
    from gunicorn.errors import ConfigError

    cfg = Config()
    cfg.validate()
    cfg.set("http_protocols", "h2,h1")
    monkeypatch.setattr(config_module, "_h2_package_usable", lambda: True)
    monkeypatch.setattr(config_module, "_http2_server_available", lambda: False)
    cfg.validate()
    assert "does not serve HTTP/2 yet" in capsys.readouterr().err
    monkeypatch.setattr(config_module, "_http2_server_available", lambda: True)
    cfg.validate()
    assert "never be negotiated" in capsys.readouterr().err
    cfg.set("http2_cleartext", "prior-knowledge")
    cfg.validate()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(config_module, "_h2_package_usable", lambda: False)
    with pytest.raises(ConfigError):
        cfg.validate()
