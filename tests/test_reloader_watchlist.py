"""gunicorn.reloader: literal extra files vs glob patterns, symlink targets."""

import os
import threading
import time

import pytest

from gunicorn import reloader


def test_literal_paths_and_globs_kept_apart(tmp_path):
    literal = str(tmp_path / "settings.ini")
    pattern = str(tmp_path / "templates" / "*.html")
    r = reloader.Reloader(extra_files=[literal, pattern])
    assert r._extra_files == {literal}
    assert r._extra_patterns == {pattern}
    r.add_extra_file(str(tmp_path / "*.cfg"))
    r.add_extra_file(str(tmp_path / "broken.py"))
    assert r._extra_patterns == {pattern, str(tmp_path / "*.cfg")}
    assert r._extra_files == {literal, str(tmp_path / "broken.py")}


def test_globs_are_expanded_on_each_call(tmp_path):
    r = reloader.Reloader(extra_files=[str(tmp_path / "**" / "*.yaml")])
    assert not any(f.startswith(str(tmp_path)) for f in r.get_files())
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "late.yaml").write_text("k: v")
    assert str(deep / "late.yaml") in r.get_files()


def test_missing_literal_file_is_still_listed(tmp_path):
    missing = str(tmp_path / "not-yet.txt")
    assert missing in reloader.Reloader(extra_files=[missing]).get_files()


def test_poll_scan_reports_only_changes(tmp_path):
    watched = tmp_path / "w.txt"
    watched.write_text("1")
    seen = []
    r = reloader.Reloader(extra_files=[str(watched)], callback=seen.append)
    known = {}
    r._scan(known)
    assert seen == []
    stamp = time.time() + 10
    os.utime(watched, (stamp, stamp))
    r._scan(known)
    r._scan(known)
    assert seen == [str(watched)]


def _link_pair(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "app.toml"
    target.write_text("a = 1")
    link_dir = tmp_path / "conf"
    link_dir.mkdir()
    link = link_dir / "app.toml"
    try:
        link.symlink_to(target)
    except OSError:
        pytest.skip("cannot create symlinks here")
    return link, target


def test_symlink_target_dir(tmp_path):
    link, target = _link_pair(tmp_path)
    assert reloader.symlink_target_dir(str(link)) == os.path.realpath(str(target.parent))
    assert reloader.symlink_target_dir(str(target)) is None
    assert reloader.symlink_target_dir(str(tmp_path / "nothing")) is None
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone" / "x")
    assert reloader.symlink_target_dir(str(dangling)) == str(tmp_path / "gone")


@pytest.mark.skipif(not reloader.has_inotify, reason="needs inotify_simple on Linux")
def test_inotify_sees_edit_of_symlink_target(tmp_path):
    link, target = _link_pair(tmp_path)
    fired = threading.Event()
    names = []

    def on_change(path):
        names.append(path)
        fired.set()

    r = reloader.InotifyReloader(extra_files=[str(link)], callback=on_change)
    r.add_extra_file(str(link))
    assert os.path.realpath(str(target.parent)) in r.get_dirs()
    r.start()
    target.write_text("a = 2")
    assert fired.wait(10)  # returns as soon as the callback ran
    assert names[0] == os.path.realpath(str(target))
