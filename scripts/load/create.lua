-- wrk script: Create Profile with a body unique to each request.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix = tid .. "-" .. os.time()
  counter = 0
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  local body = '{"register_type":"nin_register","information_provider":"test_idp","profile":'
    .. '{"nin":"' .. id .. '","email":"' .. id .. '@load.test","name":"Load","lastname":"Test"}}'
  return wrk.format("POST", nil, nil, body)
end
