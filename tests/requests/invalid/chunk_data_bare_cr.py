from gunicorn.http.errors import ChunkMissingTerminator

request = ChunkMissingTerminator
