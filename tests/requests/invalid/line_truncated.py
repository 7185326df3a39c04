# EOF inside the request line.
from gunicorn.http.errors import NoMoreData

request = NoMoreData
