"""Certificates for TLS tests, made with trustme."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

import trustme


@dataclass
class TLSFiles:
    """Paths of a CA, a server certificate + key, and a client certificate."""

    ca: trustme.CA
    ca_path: str
    cert_path: str
    key_path: str
    client_path: str  # client certificate and key in one PEM

    def client_context(self, with_client_cert: bool = False, alpn: list[str] | None = None
                       ) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_path)
        if with_client_cert:
            ctx.load_cert_chain(self.client_path)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def make_tls_files(directory: str, ca: trustme.CA | None = None) -> TLSFiles:
    """Write a CA, a server cert for 127.0.0.1/localhost and a client cert."""
    ca = ca or trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost", "::1")
    client = ca.issue_cert("client@example.com")
    files = TLSFiles(
        ca=ca,
        ca_path=os.path.join(directory, "ca.pem"),
        cert_path=os.path.join(directory, "server.pem"),
        key_path=os.path.join(directory, "server.key"),
        client_path=os.path.join(directory, "client.pem"),
    )
    ca.cert_pem.write_to_path(files.ca_path)
    server.private_key_pem.write_to_path(files.key_path)
    with open(files.cert_path, "wb") as f:
        for blob in server.cert_chain_pems:
            f.write(blob.bytes())
    client.private_key_and_cert_chain_pem.write_to_path(files.client_path)
    return files


def reissue_server_cert(files: TLSFiles) -> None:
    """Replace the server certificate and key on disk with freshly issued ones."""
    server = files.ca.issue_cert("127.0.0.1", "localhost")
    tmp_key = files.key_path + ".new"
    tmp_cert = files.cert_path + ".new"
    server.private_key_pem.write_to_path(tmp_key)
    with open(tmp_cert, "wb") as f:
        for blob in server.cert_chain_pems:
            f.write(blob.bytes())
    os.replace(tmp_key, files.key_path)
    os.replace(tmp_cert, files.cert_path)


def pem_to_der(path: str) -> bytes:
    """DER bytes of the first certificate in a PEM file."""
    with open(path) as f:
        pem = f.read()
    start = pem.index("-----BEGIN CERTIFICATE-----")
    end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return ssl.PEM_cert_to_DER_cert(pem[start:end])
