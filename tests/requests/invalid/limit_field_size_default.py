from gunicorn.http.errors import LimitRequestHeaders

request = LimitRequestHeaders
