"""Config.generation and Config.derived: per-configuration caches that any
change of a setting invalidates."""

import copy
import pickle

from gunicorn.config import Config


def test_generation_counts_every_change():
    cfg = Config()
    start = cfg.generation
    cfg.set("workers", 3)
    assert cfg.generation == start + 1
    cfg.settings["workers"].set(4)
    assert cfg.generation == start + 2
    assert cfg.workers == 4


def test_derived_is_built_once_per_generation():
    cfg = Config()
    calls = []

    def build(c):
        calls.append(c.workers)
        return [c.workers]

    first = cfg.derived("test.view", build)
    assert cfg.derived("test.view", build) is first
    cfg.set("workers", 5)
    assert cfg.derived("test.view", build) == [5]
    assert calls == [1, 5]


def test_copies_and_pickles_have_their_own_views():
    cfg = Config()
    cfg.derived("test.view", lambda c: c.workers)
    cfg.set("workers", 2)
    dup = copy.copy(cfg)
    dup.set("workers", 6)
    assert cfg.derived("test.view", lambda c: c.workers) == 2
    assert dup.derived("test.view", lambda c: c.workers) == 6
    back = pickle.loads(pickle.dumps(cfg))
    assert back.derived("test.view", lambda c: c.workers) == 2


def test_replaced_setting_object_is_what_attribute_access_reads() -> None:
    # Embedders and tests put stand-ins with a get() into cfg.settings.
    from unittest import mock

    from gunicorn.config import Config

    cfg = Config()
    cfg.settings["workers"] = mock.Mock(**{"get.return_value": 7})
    assert cfg.workers == 7
    fresh = Config().settings["workers"]
    fresh.set(3)
    cfg.settings["workers"] = fresh
    assert cfg.workers == 3
    cfg.set("workers", 4)
    assert cfg.workers == 4
