"""Settings of the "Server Mechanics" section: process setup and HTTP policy."""

from __future__ import annotations

import os

from gunicorn import util
from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    auto_int,
    validate_bool,
    validate_chdir,
    validate_dict,
    validate_group,
    validate_header_map_behaviour,
    validate_http_parser,
    validate_list_string,
    validate_pos_int,
    validate_protocol,
    validate_proxy_protocol,
    validate_string,
    validate_string_to_addr_list,
    validate_string_to_list,
    validate_user,
)

SECTION = "Server Mechanics"

PreloadApp = define(
    "PreloadApp",
    name="preload_app",
    section=SECTION,
    cli=["--preload"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Import the application in the master before forking workers.

    Workers then share the loaded code's memory pages and start faster, but a
    code change needs a full restart (HUP does not re-import it).
    """,
)

Sendfile = define(
    "Sendfile",
    name="sendfile",
    section=SECTION,
    cli=["--no-sendfile"],
    action="store_const",
    const=False,
    validator=validate_bool,
    default=None,
    desc="""
    Whether file responses may use the ``sendfile()`` system call.

    Unset means enabled unless the ``SENDFILE`` environment variable says
    otherwise (``1``, ``y``, ``yes`` or ``true`` enable it). ``--no-sendfile``
    turns it off.
    """,
)

ReusePort = define(
    "ReusePort",
    name="reuse_port",
    section=SECTION,
    cli=["--reuse-port"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Set ``SO_REUSEPORT`` on listening sockets.

    Lets several sockets share one port so the kernel balances connections
    between them.
    """,
)

Chdir = define(
    "Chdir",
    name="chdir",
    section=SECTION,
    cli=["--chdir"],
    meta="PATH",
    validator=validate_chdir,
    default=util.getcwd(),
    default_factory=util.getcwd,
    default_doc="the working directory when the server starts",
    desc="""
    Directory to change to before the application is loaded.

    It is also put first on ``sys.path`` so the application module is found
    there.
    """,
)

Daemon = define(
    "Daemon",
    name="daemon",
    section=SECTION,
    cli=["-D", "--daemon"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Detach from the terminal and run in the background.

    Do not use under a supervisor (systemd, runit, docker) that expects the
    process to stay in the foreground.
    """,
)

Env = define(
    "Env",
    name="raw_env",
    section=SECTION,
    cli=["-e", "--env"],
    action="append",
    meta="ENV",
    validator=validate_list_string,
    default=[],
    desc="""
    Environment variable to set in the server, as ``KEY=VALUE``; repeatable.

    Example: ``gunicorn -e DJANGO_SETTINGS_MODULE=site.settings app:app``.
    """,
)

Pidfile = define(
    "Pidfile",
    name="pidfile",
    section=SECTION,
    cli=["-p", "--pid"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    File the master writes its process id to; none when unset.
    """,
)

WorkerTmpDir = define(
    "WorkerTmpDir",
    name="worker_tmp_dir",
    section=SECTION,
    cli=["--worker-tmp-dir"],
    meta="DIR",
    validator=validate_string,
    default=None,
    desc="""
    Directory for the workers' heartbeat files; the system temporary directory when unset.

    Heartbeats touch their file often. On a disk-backed directory that can
    stall workers, so point this at a memory file system such as ``/dev/shm``
    (advisable in containers).
    """,
)

User = define(
    "User",
    name="user",
    section=SECTION,
    cli=["-u", "--user"],
    meta="USER",
    validator=validate_user,
    default=os.geteuid(),
    default_doc="the effective user id of the server process",
    desc="""
    User the workers run as: a name or a numeric uid.

    Changing user requires starting the server as root.
    """,
)

Group = define(
    "Group",
    name="group",
    section=SECTION,
    cli=["-g", "--group"],
    meta="GROUP",
    validator=validate_group,
    default=os.getegid(),
    default_doc="the effective group id of the server process",
    desc="""
    Group the workers run as: a name or a numeric gid.

    Changing group requires starting the server as root.
    """,
)

Umask = define(
    "Umask",
    name="umask",
    section=SECTION,
    cli=["-m", "--umask"],
    meta="INT",
    type=auto_int,
    validator=validate_pos_int,
    default=0,
    desc="""
    File mode mask for files the server creates (unix sockets, pid and heartbeat files).

    Read as ``int(value, 0)``; a leading zero such as ``022`` means octal.
    """,
)

Initgroups = define(
    "Initgroups",
    name="initgroups",
    section=SECTION,
    cli=["--initgroups"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Give workers every supplementary group of ``user`` (``initgroups()``), not just ``group``.
    """,
)

TmpUploadDir = define(
    "TmpUploadDir",
    name="tmp_upload_dir",
    section=SECTION,
    meta="DIR",
    validator=validate_string,
    default=None,
    desc="""
    Unused; kept so that older configuration files still load.
    """,
)

SecureSchemeHeader = define(
    "SecureSchemeHeader",
    name="secure_scheme_headers",
    section=SECTION,
    validator=validate_dict,
    default={
        "X-FORWARDED-PROTOCOL": "ssl",
        "X-FORWARDED-PROTO": "https",
        "X-FORWARDED-SSL": "on",
    },
    desc="""
    Request headers, with exact values, that a trusted proxy sends for HTTPS requests.

    When a peer listed in ``forwarded_allow_ips`` sends one of these headers
    with the given value, ``wsgi.url_scheme`` becomes ``https``. Names are
    matched in upper case.
    """,
)

ForwardedAllowIPS = define(
    "ForwardedAllowIPS",
    name="forwarded_allow_ips",
    section=SECTION,
    cli=["--forwarded-allow-ips"],
    meta="STRING",
    validator=validate_string_to_addr_list,
    default=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
    default_doc="'127.0.0.1,::1', or $FORWARDED_ALLOW_IPS when set",
    desc="""
    Front ends trusted to set forwarding headers: comma-separated IPs or CIDR networks.

    ``*`` trusts every peer (only safe when nothing else can reach the
    server). Peers on unix sockets are always trusted. Governs
    ``secure_scheme_headers`` and ``forwarder_headers`` (and, once HTTP/2
    is available, h2c).
    """,
)

PythonPath = define(
    "PythonPath",
    name="pythonpath",
    section=SECTION,
    cli=["--pythonpath"],
    meta="STRING",
    validator=validate_string,
    default=None,
    desc="""
    Comma-separated directories put first on ``sys.path``.

    Example: ``/home/app/src,/home/app/lib``.
    """,
)

Paste = define(
    "Paste",
    name="paste",
    section=SECTION,
    cli=["--paste", "--paster"],
    meta="STRING",
    validator=validate_string,
    default=None,
    desc="""
    Load a PasteDeploy ini file instead of an ``APP_MODULE``.

    Append ``#NAME`` to pick an application section other than ``main``.
    Needs the PasteDeploy package. A ``[loggers]`` section in the file is used
    for logging.
    """,
)

ProxyProtocol = define(
    "ProxyProtocol",
    name="proxy_protocol",
    section=SECTION,
    cli=["--proxy-protocol"],
    meta="MODE",
    nargs="?",
    const="auto",
    validator=validate_proxy_protocol,
    default="off",
    desc="""
    Expect a PROXY protocol header from the load balancer: ``off``, ``v1``, ``v2`` or ``auto``.

    The header carries the original client address. ``auto`` accepts both
    versions; the flag without a value means ``auto``. Only peers in
    ``proxy_allow_ips`` may send it.
    """,
)

ProxyAllowFrom = define(
    "ProxyAllowFrom",
    name="proxy_allow_ips",
    section=SECTION,
    cli=["--proxy-allow-from"],
    meta="STRING",
    validator=validate_string_to_addr_list,
    default="127.0.0.1,::1",
    desc="""
    Peers allowed to send a PROXY protocol header: comma-separated IPs or CIDR networks, or ``*``.
    """,
)

Protocol = define(
    "Protocol",
    name="protocol",
    section=SECTION,
    cli=["--protocol"],
    meta="STRING",
    validator=validate_protocol,
    default="http",
    desc="""
    Wire protocol on the listeners: ``http`` or ``uwsgi``.

    ``uwsgi`` reads the binary uWSGI protocol that nginx's ``uwsgi_pass``
    (with ``include uwsgi_params``) speaks, from the peers listed in
    ``uwsgi_allow_ips``. The sync, gthread, gevent, eventlet and asgi
    workers serve it; the tornado and gevent_pywsgi workers run an HTTP
    server of their own, so the server refuses to start with them.
    """,
)

UWSGIAllowFrom = define(
    "UWSGIAllowFrom",
    name="uwsgi_allow_ips",
    section=SECTION,
    cli=["--uwsgi-allow-from"],
    meta="STRING",
    validator=validate_string_to_addr_list,
    default="127.0.0.1,::1",
    desc="""
    Peers allowed to speak the uWSGI protocol: comma-separated addresses, or ``*`` for all.

    Each address is compared as a string with the peer's IP (no CIDR
    ranges); UNIX-socket peers are always allowed. Others get 403 Forbidden.
    """,
)

PasteGlobalConf = define(
    "PasteGlobalConf",
    name="raw_paste_global_conf",
    section=SECTION,
    cli=["--paste-global"],
    action="append",
    meta="CONF",
    validator=validate_list_string,
    default=[],
    desc="""
    Global variable for a PasteDeploy configuration, as ``KEY=VALUE``; repeatable.

    Write ``\\=`` for an equals sign inside the key.
    """,
)

PermitObsoleteFolding = define(
    "PermitObsoleteFolding",
    name="permit_obsolete_folding",
    section=SECTION,
    cli=["--permit-obsolete-folding"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Accept header values continued on a following line (obs-fold, RFC 9112 section 5.2).

    Such requests are refused by default because folding is a known
    request-smuggling vector.
    """,
)

StripHeaderSpaces = define(
    "StripHeaderSpaces",
    name="strip_header_spaces",
    section=SECTION,
    cli=["--strip-header-spaces"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Strip spaces between a header name and its colon instead of rejecting the request.

    Unsafe: RFC 9112 section 5.1 forbids that whitespace because proxies may
    read such a header differently.
    """,
)

PermitUnconventionalHTTPMethod = define(
    "PermitUnconventionalHTTPMethod",
    name="permit_unconventional_http_method",
    section=SECTION,
    cli=["--permit-unconventional-http-method"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Accept method names outside the usual shape (lower case, ``#``, shorter than 3 or longer than 20).

    Any RFC 9110 token is then allowed. Off by default to stay safe behind
    proxies that parse differently.
    """,
)

PermitUnconventionalHTTPVersion = define(
    "PermitUnconventionalHTTPVersion",
    name="permit_unconventional_http_version",
    section=SECTION,
    cli=["--permit-unconventional-http-version"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Accept HTTP versions other than 1.0 and 1.1 in the request line.
    """,
)

CasefoldHTTPMethod = define(
    "CasefoldHTTPMethod",
    name="casefold_http_method",
    section=SECTION,
    cli=["--casefold-http-method"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Upper-case request methods before the application sees them.

    Only meaningful together with ``permit_unconventional_http_method``.
    """,
)

ForwarderHeaders = define(
    "ForwarderHeaders",
    name="forwarder_headers",
    section=SECTION,
    cli=["--forwarder-headers"],
    meta="STRING",
    validator=validate_string_to_list,
    default="SCRIPT_NAME,PATH_INFO",
    desc="""
    Header names containing underscores that a trusted front end may set.

    Comma-separated. Only peers in ``forwarded_allow_ips`` are trusted; for
    them these headers are passed on (SCRIPT_NAME and PATH_INFO also change
    the matching environ keys) whatever ``header_map`` says.
    """,
)

HeaderMap = define(
    "HeaderMap",
    name="header_map",
    section=SECTION,
    cli=["--header-map"],
    meta="STRING",
    validator=validate_header_map_behaviour,
    default="drop",
    desc="""
    What to do with header names that contain ``_``: ``drop``, ``refuse`` or ``dangerous``.

    In the WSGI environ ``X_FOO`` and ``X-FOO`` look the same, so a client
    could spoof a header a proxy set. ``drop`` silently removes them,
    ``refuse`` answers 400, ``dangerous`` keeps them (old behaviour).
    """,
)

RootPath = define(
    "RootPath",
    name="root_path",
    section=SECTION,
    cli=["--root-path"],
    meta="STRING",
    validator=validate_string,
    default="",
    desc="""
    ASGI ``root_path``: the prefix under which the application is mounted.

    Used by the ``asgi`` worker (scope ``root_path``); WSGI applications get
    their mount prefix from ``SCRIPT_NAME``.
    """,
)

HTTPParser = define(
    "HTTPParser",
    name="http_parser",
    section=SECTION,
    cli=["--http-parser"],
    meta="STRING",
    validator=validate_http_parser,
    default="auto",
    desc="""
    HTTP/1.1 parser: ``auto``, ``python`` or ``fast``.

    ``fast`` asks for an accelerated parser and falls back to the built-in one
    with a warning when none is installed; ``auto`` uses one quietly when
    available.
    """,
)

WebsocketMaxMessageSize = define(
    "WebsocketMaxMessageSize",
    name="websocket_max_message_size",
    section=SECTION,
    cli=["--websocket-max-message-size"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=16 * 1024 * 1024,
    desc="""
    Largest WebSocket message in bytes the ``asgi`` worker accepts (16 MiB by default).

    A larger message closes the connection with code 1009 (RFC 6455 section
    7.4.1).
    """,
)
