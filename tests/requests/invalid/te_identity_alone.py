# TE not ending in chunked: 400.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
