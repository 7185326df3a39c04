# CL.TE: both framings present (RFC 9112 section 6.1).
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
