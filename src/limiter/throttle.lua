-- A 429 for the budget shared by every process on one key: the rate drops
-- (once for the 429s of one moment), and with a hold nobody starts before
-- its end, after which slots follow one interval apart.
--
-- KEYS[1]  the budget's hash (see acquire.lua).
-- ARGV     1 the interval at the limit (us); 2-4 BETA, CUBIC, FLOOR
--          (src/limiter/adaptive.rs); 5 the hold (us; 0: none).
local key = KEYS[1]
local base = tonumber(ARGV[1])
local beta, floor = tonumber(ARGV[2]), tonumber(ARGV[4])
local hold_for = tonumber(ARGV[5])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local f = redis.call('HMGET', key, 'next', 'hold', 'scale', 'tthr')
local next_free = tonumber(f[1]) or 0
local hold = tonumber(f[2]) or 0
local scale = tonumber(f[3]) or 1
local tthr = tonumber(f[4])
-- As in acquire.lua: further ahead than that is not this limiter's.
local far = now + 86400000000 + 4 * base / floor
if not (next_free <= far) then next_free = 0 end
if not (hold <= far) then hold = 0 end
if not (hold_for <= 86400000000) then hold_for = 86400000000 end
if scale ~= scale then scale = 1 end
scale = math.min(1, math.max(floor, scale))

-- A 429 within one interval of the last decrease echoes it.
if not (tthr and now - tthr < base / scale) then
  redis.call('HSET', key, 'smax', tostring(scale), 'tthr', now,
    'scale', tostring(math.max(floor, scale * beta)))
end
if hold_for > 0 and now + hold_for > hold then
  hold = now + hold_for
  redis.call('HSET', key, 'hold', hold)
  if hold > next_free then
    next_free = hold
    redis.call('HSET', key, 'next', next_free)
  end
end
redis.call('PEXPIRE', key, math.floor((math.max(next_free, hold) - now) / 1000) + 60000)
return 1
