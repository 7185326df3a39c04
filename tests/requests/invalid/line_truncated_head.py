# EOF before the empty line.
from gunicorn.http.errors import NoMoreData

request = NoMoreData
