# chunk-data must be followed by CRLF.
from gunicorn.http.errors import ChunkMissingTerminator

request = ChunkMissingTerminator
