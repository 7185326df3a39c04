# Raw non-ASCII bytes in the target.
from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
