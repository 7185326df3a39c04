-- wrk script for server_bench.py's "4 KiB echo" row: every request is a
-- POST with a 4,096-byte body, which bench_app.py's /echo route sends back.
-- wrk adds the Content-Length field itself when a body is set.
wrk.method = "POST"
wrk.body = string.rep("x", 4096)
wrk.headers["Content-Type"] = "application/octet-stream"
