-- GET over many cached requests. Environment:
--   BENCH_PATHS  file with one pre-encoded GET path per line (ocsp_gen's paths.txt)
--   BENCH_COUNT  use the first N lines (default: all)
--   BENCH_MIX    "uniform" or "zipf"
--   BENCH_ZIPF_S Zipf exponent (default 1.0): rank r is asked with weight 1/r^s
-- Requests are formatted once in init() and the sequence of indices drawn in
-- advance (2^20 draws, then repeated), so request() costs two table lookups.
-- Ranks go through a fixed random permutation: the hot entries are not simply
-- the first ones loaded.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local reqs, seq, pos, nseq = {}, {}, 0, 0

function init(args)
  local limit = tonumber(os.getenv("BENCH_COUNT") or "0")
  local n = 0
  local paths = os.getenv("BENCH_PATHS")
  assert(paths, "BENCH_PATHS not set")
  for line in io.lines(paths) do
    if line ~= "" then
      n = n + 1
      reqs[n] = wrk.format("GET", line)
      if limit > 0 and n >= limit then break end
    end
  end
  assert(n > 0, "no paths")
  math.randomseed(12345)
  local perm = {}
  for i = 1, n do perm[i] = i end
  for i = n, 2, -1 do
    local j = math.random(i)
    perm[i], perm[j] = perm[j], perm[i]
  end
  local mix = os.getenv("BENCH_MIX") or "uniform"
  nseq = 1048576
  if mix == "uniform" then
    for k = 1, nseq do seq[k] = math.random(n) end
  elseif mix == "zipf" then
    local s = tonumber(os.getenv("BENCH_ZIPF_S") or "1.0")
    local cdf, total = {}, 0
    for r = 1, n do
      total = total + 1 / r ^ s
      cdf[r] = total
    end
    for k = 1, nseq do
      local u = math.random() * total
      local lo, hi = 1, n
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if cdf[mid] < u then lo = mid + 1 else hi = mid end
      end
      seq[k] = perm[lo]
    end
  else
    error("BENCH_MIX must be uniform or zipf")
  end
end

function request()
  pos = pos + 1
  if pos > nseq then pos = 1 end
  return reqs[seq[pos]]
end
