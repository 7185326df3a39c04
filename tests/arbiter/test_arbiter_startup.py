"""Startup and environment settings against real processes: --preload (and HUP with it),
--pid over a stale file, --user/--group/--initgroups/--umask, --chdir, --reuse-port,
--worker-tmp-dir, max_requests jitter and worker class loading."""

import os
import shutil
import signal
import stat

from tests.arbiter.arbiter_helpers import (
    APP,
    free_port,
    http_get,
    status_field,
    try_get,
    wait_until,
)
from tests.support.server import ROOT, run_server

APPS = os.path.join(ROOT, "tests", "workers", "apps")


def get(srv, target="/"):
    return http_get(srv.host, srv.port, target)


def test_preload_loads_app_in_master_and_hup_keeps_it(tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text("raw_env = ['ARB_PRE=one']\n")
    with run_server(*APP, "--preload", "-c", str(conf), "-w", "2") as srv:
        old = set(srv.wait_workers(2))
        for _ in range(6):
            assert get(srv, "/loadpid") == (200, str(srv.pid).encode())
        conf.write_text("raw_env = ['ARB_PRE=two']\n")
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: len(srv.worker_pids()) == 2
                          and not set(srv.worker_pids()) & old, 10)
        # the configuration is reloaded; the preloaded application is reused (not re-imported)
        assert wait_until(lambda: try_get(srv.host, srv.port, "/env?k=ARB_PRE") == (200, b"two"), 5)
        assert get(srv, "/loadpid") == (200, str(srv.pid).encode())
        assert srv.stop() == 0


def test_without_preload_each_worker_imports_app():
    with run_server(*APP, "-w", "1") as srv:
        [worker] = srv.wait_workers(1)
        assert get(srv, "/loadpid") == (200, str(worker).encode())


def test_stale_pidfile_is_replaced(tmp_path):
    pidfile = tmp_path / "g.pid"
    # a pid that is certainly not running: larger than pid_max
    with open("/proc/sys/kernel/pid_max") as f:
        pidfile.write_text("%d\n" % (int(f.read()) + 1))
    with run_server(*APP, "-w", "1", "-p", str(pidfile)) as srv:
        assert int(pidfile.read_text()) == srv.pid
        assert stat.S_IMODE(pidfile.stat().st_mode) == 0o644
        assert srv.stop() == 0
    assert not pidfile.exists()


def _ids(pid):
    uid = status_field(pid, "Uid").split()
    gid = status_field(pid, "Gid").split()
    groups = status_field(pid, "Groups").split()
    return uid, gid, groups


def test_user_group_umask(tmp_path):
    os.chmod(tmp_path, 0o755)
    path = str(tmp_path / "g.sock")
    with run_server(*APP, "-w", "1", "-u", "nobody", "-g", "nogroup", "-m", "0o007",
                    "--timeout", "2", "-b", "unix:" + path) as srv:
        [worker] = srv.wait_workers(1)
        assert get(srv, "/ids") == (200, b"65534 65534 65534")
        uid, gid, groups = _ids(worker)
        assert uid == ["65534"] * 4 and gid == ["65534"] * 4
        # root's supplementary groups are dropped too
        assert groups == ["65534"]
        assert _ids(srv.pid)[0][0] == "0"
        # the socket file: created under the umask, owned by the worker user
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o770
        assert (st.st_uid, st.st_gid) == (65534, 65534)
        # the heartbeat file is writable by the worker: no timeout after 2 x --timeout
        out_len = len(srv.output())
        srv.wait_for_output(r"Booting worker")
        assert not wait_until(lambda: "WORKER TIMEOUT" in srv.output()[out_len:], 4.5, 0.1)
        assert srv.worker_pids() == [worker]
        assert get(srv, "/")[0] == 200


def test_initgroups(tmp_path):
    with run_server(*APP, "-w", "1", "-u", "nobody", "-g", "nogroup", "--initgroups") as srv:
        [worker] = srv.wait_workers(1)
        assert get(srv, "/")[0] == 200
        uid, gid, groups = _ids(worker)
        assert uid[0] == "65534" and gid[0] == "65534"
        assert "0" not in groups and "65534" in groups
        assert get(srv, "/")[0] == 200


def test_chdir(tmp_path):
    shutil.copy(os.path.join(APPS, "arbiter_testapp.py"), tmp_path / "arb_chdir_app.py")
    with run_server("--chdir", str(tmp_path), "-w", "1", "arb_chdir_app:app") as srv:
        assert get(srv, "/cwd") == (200, str(tmp_path).encode())


def _listening_inodes(port):
    inodes = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.append(cols[9])
    return sorted(inodes)


def _socket_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def test_reuse_port_each_worker_binds(tmp_path):
    port = free_port()
    with run_server(*APP, "-w", "2", "--reuse-port", bind="127.0.0.1:%d" % port) as srv:
        workers = srv.wait_workers(2)
        assert wait_until(lambda: len(_listening_inodes(port)) == 2, 10)
        inodes = _listening_inodes(port)
        # one listener per worker, none in the master
        assert not _socket_inodes(srv.pid) & set(inodes)
        for w in workers:
            assert len(_socket_inodes(w) & set(inodes)) == 1
        pids = set()
        for _ in range(40):
            status, body = get(srv, "/pid")
            assert status == 200
            pids.add(int(body))
        assert pids == set(workers)


def test_worker_tmp_dir(tmp_path):
    with run_server(*APP, "-w", "1", "--worker-tmp-dir", str(tmp_path)) as srv:
        [worker] = srv.wait_workers(1)

        def heartbeat_files():
            # a booting worker opens and closes descriptors while we list them
            found = []
            for fd in os.listdir("/proc/%d/fd" % worker):
                try:
                    target = os.readlink("/proc/%d/fd/%s" % (worker, fd))
                except FileNotFoundError:
                    continue
                if target.startswith(str(tmp_path / "wgunicorn-")):
                    found.append(target)
            return found

        assert wait_until(lambda: len(heartbeat_files()) == 1, 10)
        heartbeat = heartbeat_files()
        assert len(heartbeat) == 1 and heartbeat[0].endswith("(deleted)")
        assert os.listdir(tmp_path) == []


def test_max_requests_jitter():
    with run_server(*APP, "-w", "1", "--max-requests", "2", "--max-requests-jitter", "3") as srv:
        runs = []  # [pid, requests served] in order
        while len(runs) < 3:
            r = try_get(srv.host, srv.port, "/pid")
            assert r is not None and r[0] == 200
            if runs and runs[-1][0] == r[1]:
                runs[-1][1] += 1
            else:
                runs.append([r[1], 1])
            assert runs[-1][1] <= 5
        # each worker restarted after max_requests + randint(0, jitter) requests
        assert all(2 <= n <= 5 for _, n in runs[:2]), runs
        assert srv.output().count("Autorestarting worker after current request.") >= 2


def test_worker_class_by_short_name_dotted_path_and_egg(tmp_path):
    dist = tmp_path / "arbtestdist-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: arbtestdist\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[gunicorn.workers]\nmysync = gunicorn.workers.sync:SyncWorker\n")
    for kclass in ("sync", "#sync", "gunicorn.workers.sync.SyncWorker", "egg:arbtestdist#mysync"):
        with run_server(*APP, "-w", "1", "-k", kclass,
                        env={"PYTHONPATH": "%s:%s" % (ROOT, tmp_path)}) as srv:
            srv.wait_for_output(r"Using worker: %s" % kclass.replace(".", r"\."))
            assert get(srv, "/")[0] == 200
