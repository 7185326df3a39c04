# Versions are exactly DIGIT.DIGIT.
from gunicorn.http.errors import InvalidHTTPVersion

request = InvalidHTTPVersion
