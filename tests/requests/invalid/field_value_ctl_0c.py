# Control characters are not field-vchar.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
