from gunicorn.http.errors import ExpectationFailed

request = ExpectationFailed
