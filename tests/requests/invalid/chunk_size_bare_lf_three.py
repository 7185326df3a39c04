# "3f" ended by a bare LF: without the bare-LF rule it would pass as a
# 3-byte chunk (RFC 9112 section 2.2).
from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
