# Content-Length must be 1*DIGIT (RFC 9110 section 8.6).
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
