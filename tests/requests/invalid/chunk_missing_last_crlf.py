# Truncated: the last-chunk is not followed by the final CRLF.
from gunicorn.http.errors import ChunkMissingTerminator

request = ChunkMissingTerminator
