"""Settings of the "SSL" section: TLS on the listeners (gathered by ``Config.ssl_options``)."""

from __future__ import annotations

import ssl

from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    validate_bool,
    validate_pos_int,
    validate_ssl_version,
    validate_string,
)

SECTION = "SSL"

KeyFile = define(
    "KeyFile",
    name="keyfile",
    section=SECTION,
    cli=["--keyfile"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    Private key file for TLS.
    """,
)

CertFile = define(
    "CertFile",
    name="certfile",
    section=SECTION,
    cli=["--certfile"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    Certificate file for TLS; setting it (or ``keyfile``) turns TLS on.
    """,
)

SSLVersion = define(
    "SSLVersion",
    name="ssl_version",
    section=SECTION,
    cli=["--ssl-version"],
    validator=validate_ssl_version,
    default=ssl.PROTOCOL_TLS,
    default_doc="ssl.PROTOCOL_TLS",
    desc="""
    Deprecated and ignored; choose protocol versions in an ``ssl_context`` hook instead.

    Changing it prints a warning.
    """,
)

CertReqs = define(
    "CertReqs",
    name="cert_reqs",
    section=SECTION,
    cli=["--cert-reqs"],
    type=int,
    validator=validate_pos_int,
    default=int(ssl.CERT_NONE),
    desc="""
    Whether clients must present a certificate: 0 never, 1 optional, 2 required.
    """,
)

CACerts = define(
    "CACerts",
    name="ca_certs",
    section=SECTION,
    cli=["--ca-certs"],
    meta="FILE",
    validator=validate_string,
    default=None,
    desc="""
    CA certificates used to verify client certificates.
    """,
)

SuppressRaggedEOFs = define(
    "SuppressRaggedEOFs",
    name="suppress_ragged_eofs",
    section=SECTION,
    cli=["--suppress-ragged-eofs"],
    # gunicorn 25.0 has only the positive flag (store_true); with the default
    # already True it cannot turn the setting off, a config file can.
    action="store_true",
    validator=validate_bool,
    default=True,
    desc="""
    Treat a TLS connection closed without close_notify as a normal end of data.

    Passed to ``SSLContext.wrap_socket``. On by default; the flag only
    confirms that. To turn it off, set ``suppress_ragged_eofs = False`` in
    the configuration file.
    """,
)

DoHandshakeOnConnect = define(
    "DoHandshakeOnConnect",
    name="do_handshake_on_connect",
    section=SECTION,
    cli=["--do-handshake-on-connect"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Run the TLS handshake as soon as a connection is accepted instead of on first read.
    """,
)

Ciphers = define(
    "Ciphers",
    name="ciphers",
    section=SECTION,
    cli=["--ciphers"],
    validator=validate_string,
    default=None,
    desc="""
    Allowed TLS ciphers, as an OpenSSL cipher list string.

    Unset means Python's defaults.
    """,
)
