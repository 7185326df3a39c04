"""The Docker scenarios in ``tests/docker/`` are consistent, without running Docker.

``tests/docker`` itself is never collected by the normal run (it needs a
Docker daemon and image registry access); this file checks what can be
checked without them: the Compose file parses and wires the services it
promises, every gunicorn command line uses real flags of ours with values our
validators accept, every file a service, the Dockerfile or the README names
exists, the allow lists match the fixed addresses of the proxies, and the
nginx and HAProxy configurations pass ``nginx -t`` / ``haproxy -c`` on the
local binaries (service host names pointed at 127.0.0.1; directives newer
than the local nginx are taken out, as in ``test_deploy_examples.py``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gunicorn.config import Config
from gunicorn.workers import SUPPORTED_WORKERS
from tests.test_deploy_examples import (
    find_nginx,
    nginx_syntax_check,
    nginx_version,
    strip_newer_directives,
)

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "tests" / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
IMAGE = "gunicorn-docker-tests:latest"
PUBLISHED = {8443, 8444, 8080, 8081, 8090, 8091}


def _compose() -> dict:
    with open(COMPOSE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _services() -> dict[str, dict]:
    return _compose()["services"]


def _gunicorn_services() -> dict[str, dict]:
    return {name: svc for name, svc in _services().items()
            if svc.get("image") == IMAGE and svc["command"][0] == "gunicorn"}


def _parse_command(argv: list[str]) -> tuple[Config, list[str]]:
    """Parse a gunicorn argv (without the program name) with our own CLI parser.

    Every option goes through its setting's validator (``Config.set``).
    Returns the config and the positional arguments; fails the test on an
    unknown flag.
    """
    cfg = Config()
    parser = cfg.parser()
    namespace, unknown = parser.parse_known_args(argv)
    assert not unknown, "not flags of ours: %s" % unknown
    for key, value in vars(namespace).items():
        if key != "args" and value is not None:
            cfg.set(key, value)
    return cfg, namespace.args


def _published(svc: dict) -> set[int]:
    return {int(str(p).rsplit(":", 2)[-2]) for p in svc.get("ports", [])}


def test_compose_services():
    services = _services()
    assert set(services) == {"certs", "gunicorn-h2", "nginx-h2", "gunicorn-uwsgi", "nginx-uwsgi",
                             "gunicorn-asgi", "nginx-ws", "gunicorn-proxy", "haproxy"}
    published = set()
    for svc in services.values():
        published |= _published(svc)
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port  # never on every interface
    assert published == PUBLISHED
    for name in ("nginx-h2", "nginx-uwsgi", "nginx-ws"):
        assert services[name]["image"] == "nginx:alpine"
    assert services["haproxy"]["image"].startswith("haproxy:")


def test_image_build():
    for name, svc in _services().items():
        if svc.get("image") != IMAGE:
            continue
        build = svc["build"]
        context = (DOCKER / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.12-slim$", dockerfile, re.M)
    assert 'pip install --no-cache-dir ".[http2]"' in dockerfile
    # every COPY source exists in the build context and gets past the ignore file
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().split()
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        sources = line.split()[:-1]
        for src in sources:
            assert (ROOT / src).exists(), src
            top = src.rstrip("/").split("/")[0]
            assert ("!" + src) in ignore or ("!" + top + "/") in ignore, src
    assert "[http2]" in (ROOT / "pyproject.toml").read_text()


def test_gunicorn_commands_use_our_flags():
    services = _gunicorn_services()
    assert set(services) == {"gunicorn-h2", "gunicorn-uwsgi", "gunicorn-asgi", "gunicorn-proxy"}
    dockerfile = (DOCKER / "Dockerfile").read_text()
    for name, svc in services.items():
        cfg, positional = _parse_command(svc["command"][1:])
        assert len(positional) == 1, (name, positional)
        module = positional[0].split(":")[0]
        assert (DOCKER / (module + ".py")).is_file(), name
        assert "tests/docker/%s.py" % module in dockerfile, name
        assert cfg.worker_class_str in SUPPORTED_WORKERS, name
        port = int(cfg.bind[0].rsplit(":", 1)[1])
        assert cfg.bind[0].startswith("0.0.0.0:"), name
        health = " ".join(svc["healthcheck"]["test"])
        assert health.endswith(" %d" % port), name


def test_scenario_settings():
    services = _gunicorn_services()
    h2, _ = _parse_command(services["gunicorn-h2"]["command"][1:])
    assert h2.worker_class_str == "gthread"
    assert h2.http_protocols == ["h2", "h1"]
    assert h2.certfile == "/certs/server.crt" and h2.keyfile == "/certs/server.key"
    uwsgi, _ = _parse_command(services["gunicorn-uwsgi"]["command"][1:])
    assert uwsgi.protocol == "uwsgi"
    asgi, _ = _parse_command(services["gunicorn-asgi"]["command"][1:])
    assert asgi.worker_class_str == "asgi"
    proxy, _ = _parse_command(services["gunicorn-proxy"]["command"][1:])
    assert proxy.proxy_protocol == "auto"

    # the allow lists name exactly the proxies' fixed addresses, inside the network
    compose = _compose()
    subnet = ipaddress.ip_network(compose["networks"]["proxies"]["ipam"]["config"][0]["subnet"])
    all_services = _services()
    nginx_uwsgi_ip = all_services["nginx-uwsgi"]["networks"]["proxies"]["ipv4_address"]
    haproxy_ip = all_services["haproxy"]["networks"]["proxies"]["ipv4_address"]
    assert uwsgi.uwsgi_allow_ips == [nginx_uwsgi_ip]
    assert proxy.proxy_allow_ips == [haproxy_ip]
    for ip in (nginx_uwsgi_ip, haproxy_ip):
        assert ipaddress.ip_address(ip) in subnet
    for cfg in (h2, asgi):
        assert cfg.forwarded_allow_ips == [str(subnet)]


def test_referenced_files_exist():
    services = _services()
    for name, svc in services.items():
        for volume in svc.get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith("."):
                assert (DOCKER / src).is_file(), (name, src)
            else:
                assert src in _compose()["volumes"], (name, src)
    certs = services["certs"]["command"]
    assert certs[:2] == ["sh", "/app/make_certs.sh"]
    assert (DOCKER / "make_certs.sh").is_file()
    readme = (DOCKER / "README.md").read_text()
    for ref in re.findall(r"`(tests/[\w/.-]+)`", readme):
        assert (ROOT / ref).exists(), ref


def test_nginx_configs_point_at_the_services():
    services = _gunicorn_services()
    ports = {name: int(_parse_command(svc["command"][1:])[0].bind[0].rsplit(":", 1)[1])
             for name, svc in services.items()}
    expected = {"h2.conf": ("gunicorn-h2", "proxy_pass https://"),
                "uwsgi.conf": ("gunicorn-uwsgi", "server "),
                "websocket.conf": ("gunicorn-asgi", "server ")}
    for conf, (service, directive) in expected.items():
        text = (DOCKER / "nginx" / conf).read_text()
        assert "%s%s:%d" % (directive, service, ports[service]) in text, conf
    h2 = (DOCKER / "nginx" / "h2.conf").read_text()
    assert "early_hints $http2;" in h2 and "http2 on;" in h2
    assert "proxy_http_version 1.1;" in h2
    assert "uwsgi_pass gunicorn_uwsgi;" in (DOCKER / "nginx" / "uwsgi.conf").read_text()
    ws = (DOCKER / "nginx" / "websocket.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    haproxy = (DOCKER / "haproxy" / "haproxy.cfg").read_text()
    assert "gunicorn-proxy:%d send-proxy-v2" % ports["gunicorn-proxy"] in haproxy
    assert "gunicorn-proxy:%d send-proxy\n" % ports["gunicorn-proxy"] in haproxy


def _local_hosts(text: str) -> str:
    """Point ``gunicorn-*:PORT`` service addresses at 127.0.0.1 (nginx and HAProxy resolve
    host names while checking)."""
    return re.sub(r"\bgunicorn-[a-z0-9]+(?=:\d)", "127.0.0.1", text)


@pytest.mark.parametrize("name", ["h2.conf", "uwsgi.conf", "websocket.conf"])
def test_nginx_config_syntax(name, tmp_path):
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed")
    text = _local_hosts((DOCKER / "nginx" / name).read_text())
    if "/certs/" in text:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("gunicorn-h2", "localhost")
        certs = tmp_path / "certs"
        certs.mkdir()
        cert.cert_chain_pems[0].write_to_path(str(certs / "server.crt"))
        cert.private_key_pem.write_to_path(str(certs / "server.key"))
        ca.cert_pem.write_to_path(str(certs / "ca.crt"))
        text = text.replace("/certs/", str(certs) + "/")
    text, _removed = strip_newer_directives(text, nginx_version(nginx))
    proc = nginx_syntax_check(nginx, text, tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_haproxy_config_syntax(tmp_path):
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if haproxy is None:
        pytest.skip("haproxy is not installed")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(_local_hosts((DOCKER / "haproxy" / "haproxy.cfg").read_text()))
    proc = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_docker_tests_stay_out_of_the_normal_run():
    # (tomllib is 3.11+; the project supports 3.10)
    pyproject = (ROOT / "pyproject.toml").read_text()
    norecurse = re.search(r"^norecursedirs\s*=\s*\[([^\]]*)\]", pyproject, re.M)
    assert norecurse and '"tests/docker"' in norecurse.group(1)
    conftest = (DOCKER / "conftest.py").read_text()
    assert 'os.environ.get("GUNICORN_DOCKER_TESTS") == "1"' in conftest
