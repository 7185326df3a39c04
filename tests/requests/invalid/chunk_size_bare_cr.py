from gunicorn.http.errors import InvalidChunkSize

request = InvalidChunkSize
