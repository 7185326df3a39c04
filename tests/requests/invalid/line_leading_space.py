# An empty method.
from gunicorn.http.errors import InvalidRequestMethod

request = InvalidRequestMethod
