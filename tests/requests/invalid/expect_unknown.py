# Unknown expectation: 417 (RFC 9110 section 10.1.1).
from gunicorn.http.errors import ExpectationFailed

request = ExpectationFailed
