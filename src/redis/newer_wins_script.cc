#include "newer_wins_script.h"

namespace ocspcache::redis_scripts {

// Lua 5.1 in Redis: a minimal DER walk down to each SingleResponse's
// thisUpdate. Every length is checked against its enclosing element, so a
// garbage value ends as "does not parse", never as an error or a read past
// the end.
const std::string_view kNewerWins = R"lua(
local function elem(s, p, lim)
  local tag = s:byte(p)
  local b = s:byte(p + 1)
  if not tag or not b then return nil end
  local l, q = b, p + 2
  if b >= 0x80 then
    local n = b - 0x80
    if n < 1 or n > 4 then return nil end
    l = 0
    for i = 1, n do
      local c = s:byte(p + 1 + i)
      if not c then return nil end
      l = l * 256 + c
    end
    q = p + 2 + n
  end
  local e = q + l - 1
  if e > lim then return nil end
  return tag, q, e
end

local function this_update(s)
  local t, a, b = elem(s, 1, #s)
  if t ~= 0x30 then return nil end
  local t2, a2, b2 = elem(s, a, b)
  if t2 ~= 0x0a then return nil end
  t, a, b = elem(s, b2 + 1, b)
  if t ~= 0xa0 then return nil end
  t, a, b = elem(s, a, b)
  if t ~= 0x30 then return nil end
  t2, a2, b2 = elem(s, a, b)
  if t2 ~= 0x06 then return nil end
  t, a, b = elem(s, b2 + 1, b)
  if t ~= 0x04 then return nil end
  t, a, b = elem(s, a, b)
  if t ~= 0x30 then return nil end
  t, a, b = elem(s, a, b)
  if t ~= 0x30 then return nil end
  t2, a2, b2 = elem(s, a, b)
  if t2 == 0xa0 then t2, a2, b2 = elem(s, b2 + 1, b) end
  if t2 ~= 0xa1 and t2 ~= 0xa2 then return nil end
  t2, a2, b2 = elem(s, b2 + 1, b)
  if t2 ~= 0x18 then return nil end
  t, a, b = elem(s, b2 + 1, b)
  if t ~= 0x30 then return nil end
  local latest = nil
  local p = a
  while p <= b do
    local ts, sa, sb = elem(s, p, b)
    if ts ~= 0x30 then return nil end
    local tc, ca, cb = elem(s, sa, sb)
    if tc ~= 0x30 then return nil end
    local tst, sta, stb = elem(s, cb + 1, sb)
    if not tst then return nil end
    local tt, ta, tb = elem(s, stb + 1, sb)
    if tt ~= 0x18 or tb - ta < 13 then return nil end
    local v = s:sub(ta, ta + 13)
    if latest == nil or v > latest then latest = v end
    p = sb + 1
  end
  return latest
end

local new = this_update(ARGV[1])
if not new then return -1 end
local old = redis.call('GET', KEYS[1])
if old then
  local stored = this_update(old)
  if stored and stored > new then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
return 1
)lua";

const std::string_view kReleaseLock = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace ocspcache::redis_scripts
