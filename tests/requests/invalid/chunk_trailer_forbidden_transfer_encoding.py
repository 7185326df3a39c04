# Framing/routing fields are not allowed in trailers (RFC 9110 section 6.5.1).
from gunicorn.http.errors import InvalidHeaderName

request = InvalidHeaderName
