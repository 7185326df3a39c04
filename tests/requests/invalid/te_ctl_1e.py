# Not whitespace: a control character in a field value.
from gunicorn.http.errors import InvalidHeader

request = InvalidHeader
