// The Lua scripts behind the shared state. Each runs atomically on the Redis (or Valkey)
// server, so concurrent instances see one order of events. Times come from the server's
// own clock (`TIME`), so instances whose clocks disagree still agree on windows and
// cool-downs. Numbers cross as strings: Redis turns a Lua number reply into an integer.

/** A script: its Lua source and how many of its arguments are keys. */
export interface ScriptSource {
  readonly lua: string;
  readonly keys: number;
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Reserves `amount` of spend when the counter stays within `limit`, and remembers the
 * reservation under its own key (so a settle after a lost reply can tell whether it was made).
 * KEYS: spend counter, reservation. ARGV: amount, limit, ttl ms. Returns {1|0, value}.
 */
export const RESERVE: ScriptSource = {
  keys: 2,
  lua: `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur + tonumber(ARGV[1]) > tonumber(ARGV[2]) + 1e-12 then return {0, tostring(cur)} end
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return {1, after}`,
};

/**
 * Settles a reservation to the actual cost: takes back what was reserved when the
 * reservation exists, and adds the cost. A settle replayed after an outage for a
 * reservation that never reached the server adds the cost alone.
 * KEYS: spend counter, reservation. ARGV: cost, ttl ms. Returns the counter's value.
 */
export const SETTLE: ScriptSource = {
  keys: 2,
  lua: `local delta = tonumber(ARGV[1])
local reserved = redis.call('GET', KEYS[2])
if reserved then
  redis.call('DEL', KEYS[2])
  delta = delta - tonumber(reserved)
end
if delta ~= 0 then
  redis.call('INCRBYFLOAT', KEYS[1], string.format('%.17g', delta))
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('GET', KEYS[1]) or '0'`,
};

/** Adds to a counter and keeps it alive for the ttl. KEYS: counter. ARGV: amount, ttl ms. Returns the new value. */
export const ADD: ScriptSource = {
  keys: 1,
  lua: `local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return after`,
};

/**
 * One request against a sliding window kept as 60 buckets (a hash: bucket index → count),
 * the same algorithm as the in-process `RateWindows`.
 * KEYS: the window. ARGV: limit, window ms. Returns 0 when allowed, else ms until one is.
 */
export const TAKE: ScriptSource = {
  keys: 1,
  lua: `${NOW}
local size = math.max(1, tonumber(ARGV[2]) / 60)
local slot = math.floor(now / size)
local fields = redis.call('HGETALL', KEYS[1])
local total, oldest = 0, nil
for i = 1, #fields, 2 do
  local s = tonumber(fields[i])
  if s <= slot - 60 then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    total = total + tonumber(fields[i + 1])
    if oldest == nil or s < oldest then oldest = s end
  end
end
if total >= tonumber(ARGV[1]) then
  return math.max(1, math.ceil((oldest + 60) * size - now))
end
redis.call('HINCRBY', KEYS[1], string.format('%d', slot), 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) + size))
return 0`,
};

/**
 * A circuit opened: records until when (server time) and tells the fleet.
 * KEYS: the open-circuits hash, the model's probe claim. ARGV: model, open ms, channel, sender.
 */
export const BREAKER_OPEN: ScriptSource = {
  keys: 2,
  lua: `${NOW}
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now + tonumber(ARGV[2])))
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({ from = ARGV[4], model = ARGV[1], open = true, remainingMs = tonumber(ARGV[2]) }))
return 1`,
};

/** A circuit closed (its probe succeeded). KEYS: the open-circuits hash, the probe claim. ARGV: model, channel, sender. */
export const BREAKER_CLOSE: ScriptSource = {
  keys: 2,
  lua: `redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[2], cjson.encode({ from = ARGV[3], model = ARGV[1], open = false }))
return 1`,
};

/** The circuits open now, as {model, remaining ms, …}; forgets those whose cool-down ended. KEYS: the open-circuits hash. */
export const BREAKERS_OPEN: ScriptSource = {
  keys: 1,
  lua: `${NOW}
local out = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local remaining = tonumber(fields[i + 1]) - now
  if remaining > 0 then
    out[#out + 1] = fields[i]
    out[#out + 1] = string.format('%d', remaining)
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
return out`,
};

/**
 * Merges a batch of observations into the fleet's statistics with exponential time decay
 * (half-life in ms), and returns every entry decayed to now: {field, sum, weight, …}.
 * Entries whose weight decayed to nothing are dropped.
 * KEYS: the statistics hash. ARGV: half-life ms, then field, sum, count per entry.
 */
export const STATS: ScriptSource = {
  keys: 1,
  lua: `${NOW}
local half = tonumber(ARGV[1])
local function decayed(v)
  if not v then return 0, 0 end
  local s, w, at = string.match(v, '^([^,]+),([^,]+),([^,]+)$')
  local d = 2 ^ (-(now - tonumber(at)) / half)
  return tonumber(s) * d, tonumber(w) * d
end
for i = 2, #ARGV, 3 do
  local s, w = decayed(redis.call('HGET', KEYS[1], ARGV[i]))
  s = s + tonumber(ARGV[i + 1])
  w = w + tonumber(ARGV[i + 2])
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%.17g,%.17g,%d', s, w, now))
end
redis.call('PEXPIRE', KEYS[1], 86400000)
local out = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local s, w = decayed(fields[i + 1])
  if w < 1e-6 then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    out[#out + 1] = fields[i]
    out[#out + 1] = string.format('%.17g', s)
    out[#out + 1] = string.format('%.17g', w)
  end
end
return out`,
};
