from gunicorn.http.errors import InvalidRequestLine

request = InvalidRequestLine
