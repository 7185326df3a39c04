"""Fixtures for the logging tests: a stand-in config and logging isolation."""

from __future__ import annotations

import logging
import socket
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from glogging_helpers import stand_in_cfg


@pytest.fixture
def make_cfg() -> Callable[..., types.SimpleNamespace]:
    return stand_in_cfg


def _snapshot(logger: logging.Logger) -> tuple[Any, ...]:
    return (list(logger.handlers), logger.level, logger.propagate, logger.disabled)


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """Restore the root and gunicorn loggers after each test and close new handlers."""
    names = ["", "gunicorn.error", "gunicorn.access"]
    saved = {name: _snapshot(logging.getLogger(name)) for name in names}
    before = set(logging.root.manager.loggerDict)
    yield
    for name in list(logging.root.manager.loggerDict):
        logger = logging.root.manager.loggerDict[name]
        if not isinstance(logger, logging.Logger) or name in saved:
            continue
        if name not in before:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    """A UDP socket bound to 127.0.0.1 on an ephemeral port (5 s receive timeout)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        yield sock
    finally:
        sock.close()
