# asterisk-form only with OPTIONS.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
