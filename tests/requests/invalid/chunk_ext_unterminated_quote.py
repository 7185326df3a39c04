# chunk-ext is ;name[=token|quoted-string] (RFC 9112 section 7.1.1).
from gunicorn.http.errors import InvalidChunkExtension

request = InvalidChunkExtension
