# authority-form only with CONNECT.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
