"""The settings registry and the Config object (in-process)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import ssl
import sys

import pytest

from gunicorn import config
from gunicorn.config import Config

# name -> (CLI flags, default) as documented for gunicorn 25.0 (reference section 1.3)
# plus the later settings of section 15.
EXPECTED = {
    "config": (["-c", "--config"], "./gunicorn.conf.py"),
    "wsgi_app": (None, None),
    "bind": (["-b", "--bind"], ["127.0.0.1:8000"]),
    "backlog": (["--backlog"], 2048),
    "workers": (["-w", "--workers"], 1),
    "worker_class": (["-k", "--worker-class"], "sync"),
    "threads": (["--threads"], 1),
    "worker_connections": (["--worker-connections"], 1000),
    "max_requests": (["--max-requests"], 0),
    "max_requests_jitter": (["--max-requests-jitter"], 0),
    "timeout": (["-t", "--timeout"], 30),
    "graceful_timeout": (["--graceful-timeout"], 30),
    "keepalive": (["--keep-alive"], 2),
    "asgi_loop": (["--asgi-loop"], "auto"),
    "asgi_lifespan": (["--asgi-lifespan"], "auto"),
    "asgi_disconnect_grace_period": (["--asgi-disconnect-grace-period"], 3),
    "limit_request_line": (["--limit-request-line"], 4094),
    "limit_request_fields": (["--limit-request-fields"], 100),
    "limit_request_field_size": (["--limit-request-field_size"], 8190),
    "reload": (["--reload"], False),
    "reload_engine": (["--reload-engine"], "auto"),
    "reload_extra_files": (["--reload-extra-file"], []),
    "spew": (["--spew"], False),
    "check_config": (["--check-config"], False),
    "print_config": (["--print-config"], False),
    "preload_app": (["--preload"], False),
    "sendfile": (["--no-sendfile"], None),
    "reuse_port": (["--reuse-port"], False),
    "daemon": (["-D", "--daemon"], False),
    "raw_env": (["-e", "--env"], []),
    "pidfile": (["-p", "--pid"], None),
    "worker_tmp_dir": (["--worker-tmp-dir"], None),
    "umask": (["-m", "--umask"], 0),
    "initgroups": (["--initgroups"], False),
    "tmp_upload_dir": (None, None),
    "secure_scheme_headers": (None, {"X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https",
                                     "X-FORWARDED-SSL": "on"}),
    "forwarded_allow_ips": (["--forwarded-allow-ips"], ["127.0.0.1", "::1"]),
    "pythonpath": (["--pythonpath"], None),
    "paste": (["--paste", "--paster"], None),
    "proxy_protocol": (["--proxy-protocol"], "off"),
    "proxy_allow_ips": (["--proxy-allow-from"], ["127.0.0.1", "::1"]),
    "protocol": (["--protocol"], "http"),
    "uwsgi_allow_ips": (["--uwsgi-allow-from"], ["127.0.0.1", "::1"]),
    "raw_paste_global_conf": (["--paste-global"], []),
    "permit_obsolete_folding": (["--permit-obsolete-folding"], False),
    "strip_header_spaces": (["--strip-header-spaces"], False),
    "permit_unconventional_http_method": (["--permit-unconventional-http-method"], False),
    "permit_unconventional_http_version": (["--permit-unconventional-http-version"], False),
    "casefold_http_method": (["--casefold-http-method"], False),
    "forwarder_headers": (["--forwarder-headers"], ["SCRIPT_NAME", "PATH_INFO"]),
    "header_map": (["--header-map"], "drop"),
    "root_path": (["--root-path"], ""),
    "accesslog": (["--access-logfile"], None),
    "disable_redirect_access_to_syslog": (["--disable-redirect-access-to-syslog"], False),
    "access_log_format": (["--access-logformat"],
                          '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'),
    "errorlog": (["--error-logfile", "--log-file"], "-"),
    "loglevel": (["--log-level"], "info"),
    "capture_output": (["--capture-output"], False),
    "logger_class": (["--logger-class"], "gunicorn.glogging.Logger"),
    "logconfig": (["--log-config"], None),
    "logconfig_dict": (None, {}),
    "logconfig_json": (["--log-config-json"], None),
    "syslog": (["--log-syslog"], False),
    "syslog_prefix": (["--log-syslog-prefix"], None),
    "syslog_facility": (["--log-syslog-facility"], "user"),
    "enable_stdio_inheritance": (["-R", "--enable-stdio-inheritance"], False),
    "statsd_host": (["--statsd-host"], None),
    "dogstatsd_tags": (["--dogstatsd-tags"], ""),
    "statsd_prefix": (["--statsd-prefix"], ""),
    "enable_backlog_metric": (["--enable-backlog-metric"], False),
    "proc_name": (["-n", "--name"], None),
    "default_proc_name": (None, "gunicorn"),
    "keyfile": (["--keyfile"], None),
    "certfile": (["--certfile"], None),
    "ssl_version": (["--ssl-version"], ssl.PROTOCOL_TLS),
    "cert_reqs": (["--cert-reqs"], ssl.CERT_NONE),
    "ca_certs": (["--ca-certs"], None),
    "suppress_ragged_eofs": (["--suppress-ragged-eofs"], True),
    "do_handshake_on_connect": (["--do-handshake-on-connect"], False),
    "ciphers": (["--ciphers"], None),
    "http_protocols": (["--http-protocols"], ["h1"]),
    "http2_max_concurrent_streams": (["--http2-max-concurrent-streams"], 100),
    "http2_initial_window_size": (["--http2-initial-window-size"], 65535),
    "http2_max_frame_size": (["--http2-max-frame-size"], 16384),
    "http2_max_header_list_size": (["--http2-max-header-list-size"], 65536),
    "dirty_apps": (["--dirty-app"], []),
    "dirty_workers": (["--dirty-workers"], 0),
    "dirty_timeout": (["--dirty-timeout"], 300),
    "dirty_threads": (["--dirty-threads"], 1),
    "dirty_graceful_timeout": (["--dirty-graceful-timeout"], 30),
    "http_parser": (["--http-parser"], "auto"),
    "http2_cleartext": (["--http2-cleartext"], "off"),
    "websocket_max_message_size": (["--websocket-max-message-size"], 16 * 1024 * 1024),
    "control_socket": (["--control-socket"], "gunicorn.ctl"),
    "control_socket_mode": (["--control-socket-mode"], 0o600),
    "control_socket_disable": (["--no-control-socket"], False),
}

HOOK_ARITY = {
    "on_starting": 1, "on_reload": 1, "when_ready": 1, "pre_fork": 2, "post_fork": 2,
    "post_worker_init": 1, "worker_int": 1, "worker_abort": 1, "pre_exec": 1,
    "pre_request": 2, "post_request": 4, "child_exit": 2, "worker_exit": 2,
    "nworkers_changed": 3, "on_exit": 1, "ssl_context": 2,
    "on_dirty_starting": 1, "dirty_post_fork": 2, "dirty_worker_init": 1, "dirty_worker_exit": 2,
}
ENV_DEFAULTS = {"user", "group", "chdir", "syslog_addr"}


@pytest.fixture
def cfg():
    return Config()


def test_registry_size_and_names():
    names = [s.name for s in config.KNOWN_SETTINGS]
    assert len(names) == 120 == len(set(names))
    assert set(names) == set(EXPECTED) | set(HOOK_ARITY) | ENV_DEFAULTS


def test_orders_follow_registration():
    assert [s.order for s in config.KNOWN_SETTINGS] == list(range(len(config.KNOWN_SETTINGS)))
    assert {s.section for s in config.KNOWN_SETTINGS} == set(config.SECTIONS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_flags_and_defaults(cfg, name):
    flags, default = EXPECTED[name]
    setting = cfg.settings[name]
    assert setting.cli == flags
    assert setting.get() == default
    if not isinstance(getattr(Config, name, None), property):  # derived properties differ
        assert getattr(cfg, name) == default
    assert setting.desc and setting.short == setting.desc.splitlines()[0]


def test_environment_dependent_defaults(cfg):
    assert cfg.user == os.geteuid()
    assert cfg.group == os.getegid()
    assert os.path.isabs(cfg.chdir)
    assert cfg.syslog_addr.startswith(("udp://", "unix://"))


@pytest.mark.parametrize("name", sorted(HOOK_ARITY))
def test_hook_defaults_have_right_arity(cfg, name):
    from gunicorn.util import get_arity

    hook = getattr(cfg, name)
    assert callable(hook)
    assert get_arity(hook) == HOOK_ARITY[name]
    assert cfg.settings[name].cli is None


def test_setting_classes_exported():
    for cls in config.KNOWN_SETTINGS:
        assert getattr(config, cls.__name__) is cls
        assert cls.__module__ == "gunicorn.config"
    assert config.ReusePort.name == "reuse_port"
    assert config.Bind.name == "bind"
    assert config.Workers.name == "workers"
    assert config.WorkerClass.name == "worker_class"
    assert config.Keepalive.name == "keepalive"
    assert config.LimitRequestLine.name == "limit_request_line"
    assert config.PostRequest.name == "post_request"
    # natural CamelCase aliases
    assert config.Threads is config.WorkerThreads
    assert config.CheckConfig is config.ConfigCheck
    assert config.RawEnv is config.Env
    assert config.ConfigFile.name == "config"
    assert config.Config is Config


def test_setting_instance_api():
    s = config.Workers()
    assert s.get() == 1
    s.set("3")
    assert s.value == 3
    c = s.copy()
    assert c is not s and c.value == 3
    assert "with value 3" in repr(s)
    assert repr(s).startswith("<gunicorn.config.Workers object")
    for attr in ("name", "value", "section", "cli", "validator", "type", "meta", "action",
                 "default", "short", "desc", "nargs", "const", "order"):
        assert hasattr(s, attr)
    assert config.Bind() < config.Backlog()
    assert not config.Backlog() < config.Bind()
    assert not config.Bind() < config.Workers()  # different sections never compare lower


def test_custom_setting_subclass_is_registered():
    before = len(config.KNOWN_SETTINGS)

    class MyCustomThing(config.Setting):
        name = "my_custom_thing_for_test"
        value = "ignored: the validated default is the value"
        section = "Custom"
        validator = config.validate_pos_int
        default = 5
        desc = "A custom setting.\n\nMore text."

    try:
        assert config.KNOWN_SETTINGS[-1] is MyCustomThing
        assert MyCustomThing.short == "A custom setting."
        cfg = Config()
        assert cfg.my_custom_thing_for_test == 5
    finally:
        del config.KNOWN_SETTINGS[before:]


def test_make_settings_ignore():
    settings = config.make_settings(ignore=["bind", "workers"])
    assert "bind" not in settings and "workers" not in settings
    assert "backlog" in settings


def test_attribute_access_rules(cfg):
    with pytest.raises(AttributeError, match="No configuration setting for: nope"):
        cfg.nope  # noqa: B018
    with pytest.raises(AttributeError, match="Invalid access!"):
        cfg.workers = 4
    with pytest.raises(AttributeError):
        cfg.set("nope", 1)
    cfg.usage = "x"  # non-setting attributes are plain attributes
    assert cfg.usage == "x"
    cfg.set("workers", "4")
    assert cfg.workers == 4


def test_constructor(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/usr/bin/gunicorn-thing"])
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 3 --bind '127.0.0.1:9 x'")
    cfg = Config(usage="u")
    assert cfg.prog == "gunicorn-thing"
    assert cfg.usage == "u"
    assert cfg.env_orig["GUNICORN_CMD_ARGS"]
    assert cfg.get_cmd_args_from_env() == ["--workers", "3", "--bind", "127.0.0.1:9 x"]
    monkeypatch.delenv("GUNICORN_CMD_ARGS")
    assert Config(prog="p").get_cmd_args_from_env() == []


def test_str_shape(cfg):
    text = str(cfg)
    lines = text.splitlines()
    assert len(lines) == len(cfg.settings)
    keys = [line.split(" = ", 1)[0].rstrip() for line in lines]
    assert keys == sorted(cfg.settings)
    assert len({line.index(" = ") for line in lines}) == 1  # padded to one column
    assert "on_starting" in text and "<OnStarting.on_starting()>" in text
    assert "workers" in keys


def test_parser(cfg):
    parser = cfg.parser()
    assert isinstance(parser, argparse.ArgumentParser)
    ns = parser.parse_args([])
    assert all(v is None or v == [] for k, v in vars(ns).items())
    ns = parser.parse_args(["-w", "3", "-b", "a:1", "-b", "b:2", "--no-sendfile", "--proxy-protocol",
                            "-m", "022", "--preload", "app:x"])
    assert ns.workers == 3
    assert ns.bind == ["a:1", "b:2"]
    assert ns.sendfile is False
    assert ns.proxy_protocol == "auto"
    assert ns.umask == 0o22
    assert ns.preload_app is True
    assert ns.args == ["app:x"]
    # as in gunicorn 25.0: a store_true flag, with no "--no-" form
    assert parser.parse_args(["--suppress-ragged-eofs"]).suppress_ragged_eofs is True
    assert parser.parse_args([]).suppress_ragged_eofs is None


def test_suppress_ragged_eofs_flag_is_store_true(cfg, capsys):
    from gunicorn.config import SuppressRaggedEOFs

    assert SuppressRaggedEOFs.action == "store_true"
    assert SuppressRaggedEOFs.default is True and cfg.suppress_ragged_eofs is True
    with pytest.raises(SystemExit) as exc:
        cfg.parser().parse_args(["--no-suppress-ragged-eofs"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --no-suppress-ragged-eofs" in capsys.readouterr().err
    # a configuration file (or cfg.set) can still turn it off
    cfg.set("suppress_ragged_eofs", False)
    assert cfg.suppress_ragged_eofs is False
    assert cfg.ssl_options["suppress_ragged_eofs"] is False


def test_version(cfg, capsys):
    cfg.prog = "gunicorn"
    with pytest.raises(SystemExit) as exc:
        cfg.parser().parse_args(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == "gunicorn (version 25.0.3)"


class TestDerived:
    def test_worker_class_str(self, cfg):
        assert cfg.worker_class_str == "sync"
        cfg.set("threads", 4)
        assert cfg.worker_class_str == "gthread"
        cfg.set("worker_class", "gevent")
        assert cfg.worker_class_str == "gevent"

        class Custom:
            pass

        cfg.set("worker_class", Custom)
        assert cfg.worker_class_str == "Custom"

    def test_worker_class_loads_and_calls_setup(self, cfg):
        calls = []

        class Custom:
            @classmethod
            def setup(cls):
                calls.append(cls)

        cfg.set("worker_class", Custom)
        assert cfg.worker_class is Custom
        assert calls == [Custom]

    def test_worker_class_sync_threads(self, cfg, monkeypatch):
        from gunicorn import util

        seen = []
        monkeypatch.setattr(util, "load_class", lambda uri, *a, **k: seen.append(uri) or object)
        cfg.worker_class  # noqa: B018
        cfg.set("threads", 2)
        cfg.worker_class  # noqa: B018
        cfg.set("worker_class", "gunicorn.workers.sync.SyncWorker")
        cfg.worker_class  # noqa: B018
        assert seen == ["sync", "gunicorn.workers.gthread.ThreadWorker",
                        "gunicorn.workers.gthread.ThreadWorker"]

    def test_address_follows_set(self, cfg):
        assert cfg.address == [("127.0.0.1", 8000)]
        cfg.set("bind", ["unix:/tmp/s.sock", "[::1]:9000", "fd://3", "tcp://0.0.0.0:81"])
        assert cfg.address == ["/tmp/s.sock", ("::1", 9000), 3, ("0.0.0.0", 81)]
        assert cfg.address is cfg.address  # cached until the next set()

    def test_uid_gid(self, cfg):
        cfg.set("user", "0")
        cfg.set("group", "0")
        assert (cfg.uid, cfg.gid) == (0, 0)

    def test_proc_name(self, cfg):
        assert cfg.proc_name == "gunicorn"
        cfg.set("default_proc_name", "app:x")
        assert cfg.proc_name == "app:x"
        cfg.set("proc_name", "mine")
        assert cfg.proc_name == "mine"

    def test_logger_class(self, cfg, monkeypatch):
        from gunicorn import util

        loaded = []

        class FakeLogger:
            installed = 0

            @classmethod
            def install(cls):
                cls.installed += 1

        def fake_load(uri, default=None, section=None):
            loaded.append((uri, default, section))
            return FakeLogger

        monkeypatch.setattr(util, "load_class", fake_load)
        assert cfg.logger_class is FakeLogger
        cfg.set("statsd_host", "localhost:8125")
        cfg.logger_class  # noqa: B018
        cfg.set("logger_class", "simple")
        cfg.logger_class  # noqa: B018
        cfg.set("logger_class", "my.Logger")
        cfg.logger_class  # noqa: B018
        assert [u for u, _, _ in loaded] == [
            "gunicorn.glogging.Logger", "gunicorn.instrument.statsd.Statsd",
            "gunicorn.instrument.statsd.Statsd", "my.Logger"]
        assert loaded[0][1:] == ("gunicorn.glogging.Logger", "gunicorn.loggers")
        assert FakeLogger.installed == 4

    def test_is_ssl_and_ssl_options(self, cfg):
        assert not cfg.is_ssl
        cfg.set("certfile", "c.pem")
        assert cfg.is_ssl
        opts = cfg.ssl_options
        assert set(opts) == {"keyfile", "certfile", "ssl_version", "cert_reqs", "ca_certs",
                             "suppress_ragged_eofs", "do_handshake_on_connect", "ciphers"}
        assert opts["certfile"] == "c.pem"
        cfg.set("ciphers", "HIGH")
        assert cfg.ssl_options["ciphers"] == "HIGH"

    def test_env(self, cfg):
        assert cfg.env == {}
        cfg.set("raw_env", ["A=1", "B=x=y", "C="])
        assert cfg.env == {"A": "1", "B": "x=y", "C": ""}
        cfg.set("raw_env", ["BAD"])
        with pytest.raises(RuntimeError, match="BAD"):
            cfg.env  # noqa: B018

    @pytest.mark.parametrize("env, expected", [
        (None, True), ("1", True), ("yes", True), ("TRUE", True), ("0", False), ("no", False),
    ])
    def test_sendfile_env(self, cfg, monkeypatch, env, expected):
        if env is None:
            monkeypatch.delenv("SENDFILE", raising=False)
        else:
            monkeypatch.setenv("SENDFILE", env)
        assert cfg.sendfile is expected

    def test_sendfile_setting_wins(self, cfg, monkeypatch):
        monkeypatch.setenv("SENDFILE", "1")
        cfg.set("sendfile", False)
        assert cfg.sendfile is False
        monkeypatch.setenv("SENDFILE", "0")
        cfg.set("sendfile", True)
        assert cfg.sendfile is True

    def test_reuse_port(self, cfg):
        assert cfg.reuse_port is False
        cfg.set("reuse_port", True)
        assert cfg.reuse_port is True

    def test_paste_global_conf(self, cfg):
        assert cfg.paste_global_conf == {}
        cfg.set("raw_paste_global_conf", ["a=1", r"b\=c=d\=e", "x=y=z"])
        assert cfg.paste_global_conf == {"a": "1", "b=c": "d=e", "x": "y=z"}
        cfg.set("raw_paste_global_conf", ["nope"])
        with pytest.raises(RuntimeError):
            cfg.paste_global_conf  # noqa: B018

    def test_networks(self, cfg):
        nets = cfg.forwarded_allow_networks()
        assert nets == [ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1")]
        assert cfg.forwarded_allow_networks() is nets
        cfg.set("forwarded_allow_ips", "10.0.0.0/8,*")
        assert cfg.forwarded_allow_networks() == [ipaddress.ip_network("10.0.0.0/8")]
        cfg.set("proxy_allow_ips", "*")
        assert cfg.proxy_allow_networks() == []


def test_env_var_defaults_in_fresh_process(tmp_path):
    import subprocess

    code = ("from gunicorn.config import Config; c = Config(); "
            "print(c.bind, c.workers, c.forwarded_allow_ips)")
    env = dict(os.environ, PORT="5000", WEB_CONCURRENCY="7", FORWARDED_ALLOW_IPS="10.1.2.3",
               PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=str(tmp_path)).stdout.strip()
    assert out == "['0.0.0.0:5000'] 7 ['10.1.2.3']"


def test_get_attribute_is_cheap(cfg):
    # The hot path reads cfg.<name> often: a plain dict lookup, no validation.
    import timeit

    per_access = min(timeit.repeat(lambda: cfg.keepalive, number=20000, repeat=3)) / 20000
    assert per_access < 1e-6


def test_attribute_reads_follow_every_kind_of_update(cfg):
    cfg.set("keepalive", 5)
    assert cfg.keepalive == 5
    cfg.settings["keepalive"].set("6")
    assert cfg.keepalive == 6
    cfg.settings["keepalive"].value = 7
    assert cfg.keepalive == 7
    detached = cfg.settings["keepalive"].copy()
    detached.set(1)
    assert cfg.keepalive == 7
    # derived properties keep precedence over mirrored values
    cfg.set("threads", 3)
    assert cfg.worker_class_str == "gthread"
    assert cfg.settings["worker_class"].value == "sync"


def test_copy_and_pickle_keep_values_independent(cfg):
    import copy
    import pickle

    cfg.set("workers", 3)
    for dup in (copy.copy(cfg), copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert dup.workers == 3 and dup.prog == cfg.prog
        dup.set("workers", 9)
        assert dup.workers == 9
        assert cfg.workers == 3
