from gunicorn.http.errors import InvalidHTTPVersion

cfg.set('permit_unconventional_http_version', True)
request = InvalidHTTPVersion
