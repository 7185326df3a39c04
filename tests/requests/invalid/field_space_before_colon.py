# No whitespace between field-name and colon (RFC 9112 section 5.1).
from gunicorn.http.errors import InvalidHeaderName

request = InvalidHeaderName
