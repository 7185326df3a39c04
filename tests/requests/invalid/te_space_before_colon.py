from gunicorn.http.errors import InvalidHeaderName

request = InvalidHeaderName
