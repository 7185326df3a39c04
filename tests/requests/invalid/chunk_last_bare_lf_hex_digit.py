# A last-chunk "0a" ended by a bare LF: without the bare-LF rule it would
# end the body here and the next bytes would become a request, while a front
# proxy sees a 10-byte chunk (RFC 9112 section 2.2).
from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
