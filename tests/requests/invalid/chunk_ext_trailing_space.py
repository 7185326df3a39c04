from gunicorn.http.errors import InvalidChunkExtension

request = InvalidChunkExtension
