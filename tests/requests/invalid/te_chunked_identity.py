# chunked must be the final coding.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
