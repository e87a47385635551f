-- GET of one cached request: the path is the URL's (wrk -s get.lua URL), so
-- wrk builds the request once and the client spends nothing per request.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")
