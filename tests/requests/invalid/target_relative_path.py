# Relative references are rejected.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
