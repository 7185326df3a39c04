from gunicorn.http.errors import InvalidRequestMethod

request = InvalidRequestMethod
