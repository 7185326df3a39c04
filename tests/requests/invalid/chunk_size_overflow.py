# A chunk-size of 2**64 overflows any sane length.
from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
