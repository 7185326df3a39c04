# Only a CRLF empty line is forgiven.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
