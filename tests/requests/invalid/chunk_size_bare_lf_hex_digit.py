# A chunk-size line ended by a bare LF whose last character is a hex digit:
# read as if that digit were the CR, "1a" would become a 1-byte chunk while a
# front proxy sees 0x1a bytes (a smuggling shape).  Only the bare-LF rule of
# RFC 9112 section 2.2 rejects it.
from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
