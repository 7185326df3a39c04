# Whitespace-preceded line right after the request line.
from gunicorn.http.errors import InvalidHeaderName

request = InvalidHeaderName
