# 21 characters.
from gunicorn.http.errors import InvalidRequestMethod

request = InvalidRequestMethod
