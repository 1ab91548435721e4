-- POST / with the 4 KiB body the servers echo (bench/servers/app.mjs POST_BODY).
wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", 256)
wrk.headers["Content-Type"] = "application/octet-stream"
