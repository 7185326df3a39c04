# casefold_http_method alone does not allow lowercase methods.
from gunicorn.http.errors import InvalidRequestMethod

cfg.set('casefold_http_method', True)
request = InvalidRequestMethod
