"""The settings registry, one module per documentation section.

Importing this package registers every setting in
:data:`gunicorn.settings.base.KNOWN_SETTINGS`, in section order. Public
names (``Config``, ``Setting``, validators, the setting classes) are
re-exported by :mod:`gunicorn.config`.
"""

from __future__ import annotations

import importlib

from gunicorn.settings.base import KNOWN_SETTINGS, Setting, make_settings

# Section modules, imported in this order: import order is registration
# order, which fixes each setting's ``order`` attribute.
SECTION_MODULES: tuple[str, ...] = (
    "config_file",
    "server_socket",
    "worker_processes",
    "security",
    "debugging",
    "server_mechanics",
    "logs",
    "process_naming",
    "hooks",
    "tls",
    "http2",
    "dirty",
    "control",
)
for _module in SECTION_MODULES:
    importlib.import_module("gunicorn.settings." + _module)

SECTIONS: tuple[str, ...] = (
    "Config File",
    "Server Socket",
    "Worker Processes",
    "Security",
    "Debugging",
    "Server Mechanics",
    "Logging",
    "Process Naming",
    "Server Hooks",
    "SSL",
    "HTTP/2",
    "Dirty Arbiters",
    "Control Socket",
)

__all__ = ["KNOWN_SETTINGS", "SECTIONS", "SECTION_MODULES", "Setting", "make_settings"]
