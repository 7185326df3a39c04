# EOF before Content-Length bytes arrived.
from gunicorn.http.errors import NoMoreData

request = NoMoreData
