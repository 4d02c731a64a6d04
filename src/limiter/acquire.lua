-- A start slot from the budget shared by every process on one key, on Redis's
-- own clock (TIME), so host clocks do not matter. Starts are spaced one
-- interval apart (the limit's, widened while the rate is adapted down).
--
-- KEYS[1]  the budget's hash: next (the next free slot, us), hold (no start
--          before, us), scale (the adapted share of the limit), smax and tthr
--          (the share and time of the last decrease).
-- KEYS[2]  the budget's sharers: a sorted set of the limiters (one a client,
--          in any process) that asked in the last minute, by when they asked.
-- ARGV     1 the interval at the limit (us); 2-4 BETA, CUBIC, FLOOR
--          (src/limiter/adaptive.rs); 5 the longest wait the caller can take
--          (us; -1: any); 6 '1' if the caller's process saw an answer since its
--          last call; 7 the caller's limiter id.
-- Returns  {0, wait, n}: start in `wait` us (the slot is taken);
--          {1, wait, n}: the slot is further off, ask again in `wait` us (nothing taken);
--          {2, wait, n}: the earliest slot is past the caller's deadline (nothing taken);
--          n: how many limiters share the budget (for their share while Redis is down).
local key = KEYS[1]
local base = tonumber(ARGV[1])
local beta, cubic, floor = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local answered = ARGV[6] == '1'
local sharer = ARGV[7]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local sharers = KEYS[2]
redis.call('ZADD', sharers, now, sharer)
redis.call('ZREMRANGEBYSCORE', sharers, '-inf', now - 60000000)
redis.call('PEXPIRE', sharers, 120000)
local n = redis.call('ZCARD', sharers)
local f = redis.call('HMGET', key, 'next', 'hold', 'scale', 'smax', 'tthr')
local next_free = tonumber(f[1]) or 0
local hold = tonumber(f[2]) or 0
local scale = tonumber(f[3]) or 1
local smax, tthr = tonumber(f[4]), tonumber(f[5])
-- No hold outlasts a day (a call's longest deadline) and no slot is handed
-- out more than a few intervals ahead of it: a value past that (or NaN) is
-- not this limiter's, so it is forgotten.
local far = now + 86400000000 + 4 * base / floor
if not (next_free <= far) then next_free = 0 end
if not (hold <= far) then hold = 0 end

if scale ~= scale then scale = 1 end
scale = math.min(1, math.max(floor, scale))
-- An answer moves the rate along the curve back to the limit, whether or not
-- a slot is handed out now (the caller reports each answer once).
if answered and smax and tthr then
  local k = (smax * (1 - beta) / cubic) ^ (1 / 3)
  scale = cubic * ((now - tthr) / 1000000 - k) ^ 3 + smax
  if scale ~= scale then scale = 1 end
  scale = math.min(1, math.max(floor, scale))
  if scale >= 1 then redis.call('HDEL', key, 'smax', 'tthr') end
  redis.call('HSET', key, 'scale', tostring(scale))
end

local interval = math.floor(base / scale)
local at = math.max(now, next_free, hold)
local wait = at - now
if max_wait >= 0 and wait > max_wait then return {2, wait, n} end
-- Slots are handed out at most two intervals ahead, so that a hold set now
-- reaches every start after that.
local horizon = 2 * interval
if wait > horizon then return {1, wait - horizon, n} end

redis.call('HSET', key, 'next', at + interval)
redis.call('PEXPIRE', key, math.floor((at + interval - now) / 1000) + 60000)
return {0, wait, n}
