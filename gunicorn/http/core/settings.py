"""Parser settings derived once from a gunicorn configuration object."""

from __future__ import annotations

from typing import Any

from .policy import FieldPolicy

__all__ = [
    "ParserSettings",
    "settings_for",
    "MAX_REQUEST_LINE",
    "MAX_HEADERS",
    "DEFAULT_MAX_HEADERFIELD_SIZE",
]

MAX_REQUEST_LINE = 8190
MAX_HEADERS = 32768
DEFAULT_MAX_HEADERFIELD_SIZE = 8190

# Fields the head parser looks at while walking the section once.
INSPECTED_FIELDS = frozenset({
    "CONTENT-LENGTH", "TRANSFER-ENCODING", "HOST", "CONTENT-TYPE", "EXPECT", "CONNECTION",
})

_PROXY_MODES = {True: "auto", False: "off", None: "off", "true": "auto", "1": "auto",
                "false": "off", "0": "off", "none": "off"}


def normalize_proxy_mode(value: Any) -> str:
    """Map a ``proxy_protocol`` setting value to "off", "v1", "v2" or "auto"."""
    if isinstance(value, str):
        low = value.strip().lower()
        return _PROXY_MODES.get(low, low)
    return _PROXY_MODES.get(value, "auto" if value else "off")


class ParserSettings:
    """HTTP/1.1 request limits and switches, read from *cfg* with attribute access.

    Limits follow gunicorn: ``limit_request_line`` 0 means unlimited, <0 or
    >= 8190 is clamped to 8190; ``limit_request_fields`` <=0 or > 32768 becomes
    32768; ``limit_request_field_size`` <=0 becomes 8190 (as in gunicorn 27.0;
    25.0 read 0 as unlimited).
    ``max_buffer_headers`` bounds a whole field section in bytes.
    """

    __slots__ = (
        "limit_request_line",
        "limit_request_fields",
        "limit_request_field_size",
        "max_buffer_headers",
        "max_chunk_line",
        "permit_unconventional_http_method",
        "permit_unconventional_http_version",
        "casefold_http_method",
        "strip_header_spaces",
        "permit_obsolete_folding",
        "proxy_protocol",
        "uwsgi",
        "uwsgi_allow_ips",
        "policy",
        "interesting_fields",
    )

    def __init__(self, cfg: Any) -> None:
        line = int(cfg.limit_request_line)
        if line < 0 or line >= MAX_REQUEST_LINE:
            line = MAX_REQUEST_LINE
        self.limit_request_line: int = line

        fields = int(cfg.limit_request_fields)
        if fields <= 0 or fields > MAX_HEADERS:
            fields = MAX_HEADERS
        self.limit_request_fields: int = fields

        size = int(cfg.limit_request_field_size)
        if size <= 0:
            # 0 no longer means "unlimited" (gunicorn 27.0): the default applies
            size = DEFAULT_MAX_HEADERFIELD_SIZE
        self.limit_request_field_size: int = size
        self.max_buffer_headers: int = fields * (size + 2) + 4
        # chunk-size lines (with extensions) are bounded like a field line
        self.max_chunk_line: int = size

        self.permit_unconventional_http_method = bool(
            getattr(cfg, "permit_unconventional_http_method", False))
        self.permit_unconventional_http_version = bool(
            getattr(cfg, "permit_unconventional_http_version", False))
        self.casefold_http_method = bool(getattr(cfg, "casefold_http_method", False))
        self.strip_header_spaces = bool(getattr(cfg, "strip_header_spaces", False))
        self.permit_obsolete_folding = bool(getattr(cfg, "permit_obsolete_folding", False))
        self.proxy_protocol: str = normalize_proxy_mode(getattr(cfg, "proxy_protocol", "off"))
        # protocol "uwsgi": request heads are uWSGI packets (core/uwsgi.py),
        # from peers whose IP is in uwsgi_allow_ips (None: "*", any peer)
        self.uwsgi: bool = getattr(cfg, "protocol", "http") == "uwsgi"
        allow = getattr(cfg, "uwsgi_allow_ips", None)
        if allow is None:
            allow = ["127.0.0.1", "::1"]
        if isinstance(allow, str):
            allow = [a.strip() for a in allow.split(",")]
        self.uwsgi_allow_ips: frozenset[str] | None = (
            None if "*" in allow else frozenset(str(a) for a in allow))
        self.policy = policy = FieldPolicy(cfg)
        # Field-names the head parser inspects, for an untrusted and a
        # trusted peer (secure-scheme headers count only for the latter).
        self.interesting_fields: tuple[frozenset[str], frozenset[str]] = (
            INSPECTED_FIELDS, INSPECTED_FIELDS | frozenset(policy.secure_scheme_headers))


def _build(cfg: Any) -> ParserSettings:
    return ParserSettings(cfg)


def settings_for(cfg: Any) -> ParserSettings:
    """The ParserSettings of *cfg*, built once per configuration state.

    A ``gunicorn.config.Config`` keeps them until one of its settings
    changes (``Config.derived``), so connections after the first cost no
    configuration reads.  Other configuration objects (test doubles) get a
    fresh ParserSettings on every call.
    """
    derived = getattr(type(cfg), "derived", None)
    if derived is None:
        return ParserSettings(cfg)
    return derived(cfg, "gunicorn.http.parser_settings", _build)
