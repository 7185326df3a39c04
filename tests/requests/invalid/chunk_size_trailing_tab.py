# chunk-size is 1*HEXDIG (RFC 9112 section 7.1).
from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
