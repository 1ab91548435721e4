-- 100 pipelined GET / per write (wrk counts each response).
local depth = tonumber(os.getenv("PIPELINE_DEPTH") or "100")
init = function(args)
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format("GET", "/")
  end
  req = table.concat(r)
end
request = function()
  return req
end
