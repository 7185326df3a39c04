from gunicorn.http.errors import InvalidSchemeHeaders

request = InvalidSchemeHeaders
