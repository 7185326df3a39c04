# The line splits at the first two SP only.
from gunicorn.http.errors import InvalidHTTPVersion

request = InvalidHTTPVersion
