# chunked needs HTTP/1.1 or later.
from gunicorn.http.errors import InvalidHeader

cfg.set('permit_unconventional_http_version', True)
request = InvalidHeader
