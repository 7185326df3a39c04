"""PasteDeploy support: load an app from an ini file, and the ``egg:gunicorn#main`` server runner.

PasteDeploy is optional; it is imported only when these functions run.
"""

from __future__ import annotations

import configparser
import os
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.config import get_default_config_file


def get_wsgi_app(config_uri: str, name: str | None = None,
                 defaults: dict[str, str] | None = None) -> Any:
    """Load a WSGI app with ``paste.deploy.loadapp``.

    Args:
        config_uri: ``PATH[#section]`` or a full ``scheme:...`` URI; a bare
            path gets the ``config:`` scheme.
        name: application section name (default ``main``).
        defaults: global_conf variables.

    Raises ImportError (with an install hint) when PasteDeploy is missing.
    """
    try:
        from paste.deploy import loadapp
    except ImportError as e:
        raise ImportError("PasteDeploy is required for --paste: pip install PasteDeploy") from e
    if ":" not in config_uri:
        config_uri = "config:%s" % config_uri
    return loadapp(config_uri, name=name, relative_to=os.getcwd(), global_conf=defaults)


def has_logging_config(config_file: str) -> bool:
    """True when the ini file has a ``[loggers]`` section."""
    parser = configparser.ConfigParser()
    parser.read([config_file])
    return parser.has_section("loggers")


def serve(app: Any, global_conf: dict[str, Any], **local_conf: Any) -> None:
    """PasteDeploy server runner for ``[server:main] use = egg:gunicorn#main``.

    ``host`` and ``port`` become ``bind``; ``config`` names a gunicorn
    configuration file (default ``./gunicorn.conf.py`` when present); every
    other key is set as a setting. Serves until the arbiter stops.
    """
    ini_path = global_conf["__file__"]
    named_settings_file = local_conf.pop("config", None)
    bind = _bind_from_host_port(local_conf.pop("host", ""), local_conf.pop("port", ""))
    if bind is not None:
        local_conf["bind"] = bind
    overrides = {name.lower(): value for name, value in local_conf.items() if value is not None}

    class PasterServerApplication(WSGIApplication):
        def load_config(self) -> None:
            cfg = self.cfg
            cfg.set("default_proc_name", ini_path)
            if has_logging_config(ini_path):
                cfg.set("logconfig", ini_path)
            # Looked up on every (re)load: ./gunicorn.conf.py may appear later.
            settings_file = named_settings_file or get_default_config_file()
            if settings_file:
                self.load_config_from_file(settings_file)
            # The [server:main] keys win over the gunicorn config file.
            for name, value in overrides.items():
                cfg.set(name, value)

        def load(self) -> Any:
            return app

    PasterServerApplication().run()


def _bind_from_host_port(host: str, port: str) -> str | list[str] | None:
    """``host`` + ``port`` give one "HOST:PORT"; a lone ``host`` may list several, comma-separated."""
    if not host:
        return None
    if port:
        return "%s:%s" % (host, port)
    return host.split(",")
