//! Lua scripts: every state change of the Redis backend is one atomic script.
//!
//! Per queue `q` (hash tag = `q` without `.dlq`, so a queue and its dead-letter queue share a
//! cluster slot) the keys are:
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `s` | stream + consumer group | ready and leased messages; fields `id tenant p a r t` |
//! | `l` | sorted set | entry id → lease deadline (ms, Redis clock) |
//! | `o` | hash | entry id → `<token>:<consumer>` of the current lease holder |
//! | `d` | sorted set | JSON of a message waiting for its retry backoff, scored by due time |
//! | `k:<len>:<tenant>:<id>` | string (SET NX) | dedupe key |
//! | `x:<len>:<tenant>:<id>` | string | done marker |
//!
//! Field `a` counts earlier deliveries, `r` is a JSON array of failure reasons, `t` the first
//! enqueue time (ms). A failed delivery (nack or lease expiry) acks and deletes the stream entry and
//! adds the message again (at once, after a backoff via `d`, or to the dead-letter stream) with
//! `a + 1`: each stream entry is delivered at most once, so no XCLAIM is needed and the delivery
//! counter lives in the message itself.

const PRELUDE: &str = r#"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ensure_group(stream, group)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  end
end
local function fields(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
local function add(stream, group, f)
  ensure_group(stream, group)
  return redis.call('XADD', stream, '*', 'id', f.id, 'tenant', f.tenant, 'p', f.p,
    'a', f.a, 'r', f.r, 't', f.t)
end
local function fail(stream, leases, owner, delayed, dlq, group, eid, f, reason, delay_ms,
                    max_attempts, now)
  redis.call('XACK', stream, group, eid)
  redis.call('XDEL', stream, eid)
  redis.call('ZREM', leases, eid)
  redis.call('HDEL', owner, eid)
  local attempts = tonumber(f.a) + 1
  local r = cjson.decode(f.r)
  table.insert(r, reason)
  while #r > 10 do table.remove(r, 1) end
  f.a = tostring(attempts)
  f.r = cjson.encode(r)
  if attempts >= max_attempts then
    add(dlq, group, f)
    return {2, attempts}
  elseif delay_ms <= 0 then
    add(stream, group, f)
    return {1, attempts}
  else
    f.k = eid
    redis.call('ZADD', delayed, now + delay_ms, cjson.encode(f))
    return {1, attempts}
  end
end
"#;

/// KEYS: stream, dedupe key. ARGV: group, window secs (0 = forever), id, tenant, payload.
/// Returns 1 when enqueued, 0 for a duplicate.
const ENQUEUE: &str = r#"
local now = now_ms()
local ok
if tonumber(ARGV[2]) > 0 then
  ok = redis.call('SET', KEYS[2], now, 'NX', 'EX', ARGV[2])
else
  ok = redis.call('SET', KEYS[2], now, 'NX')
end
if not ok then return 0 end
add(KEYS[1], ARGV[1], {id = ARGV[3], tenant = ARGV[4], p = ARGV[5], a = '0', r = '[]',
  t = string.format('%d', now)})
return 1
"#;

/// KEYS: stream, leases, owner, delayed, dlq. ARGV: group, consumer, max, lease ms,
/// max attempts, token. Returns {deadline, eid, owner value, fields, eid, ...}.
const LEASE: &str = r#"
local stream, leases, owner, delayed, dlq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, consumer, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
local lease_ms, max_attempts, tok = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = now_ms()
ensure_group(stream, group)
for _, eid in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 1000)) do
  local ent = redis.call('XRANGE', stream, eid, eid)
  local who = redis.call('HGET', owner, eid) or ''
  if #ent == 0 then
    redis.call('ZREM', leases, eid)
    redis.call('HDEL', owner, eid)
    redis.call('XACK', stream, group, eid)
  else
    local c = string.match(who, '^[^:]*:(.*)$') or '?'
    fail(stream, leases, owner, delayed, dlq, group, eid, fields(ent[1][2]),
      'lease expired (consumer ' .. c .. ')', 0, max_attempts, now)
  end
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', delayed, m)
  add(stream, group, cjson.decode(m))
end
local deadline = now + lease_ms
local out = {deadline}
if max > 0 then
  local res = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max,
    'STREAMS', stream, '>')
  if res then
    local who = tok .. ':' .. consumer
    for _, e in ipairs(res[1][2]) do
      redis.call('HSET', owner, e[1], who)
      redis.call('ZADD', leases, deadline, e[1])
      table.insert(out, e[1])
      table.insert(out, who)
      table.insert(out, e[2])
    end
  end
end
return out
"#;

/// KEYS: stream, leases, owner. ARGV: group, eid, owner value. Returns 1, or 0 if not held.
const ACK: &str = r#"
if redis.call('HGET', KEYS[3], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
"#;

/// KEYS: leases, owner. ARGV: eid, owner value, lease ms. Returns the new deadline, or 0.
const EXTEND: &str = r#"
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local deadline = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], deadline, ARGV[1])
return deadline
"#;

/// KEYS: stream, leases, owner, delayed, dlq. ARGV: group, eid, owner value, reason, delay ms,
/// max attempts. Returns {0, 0} if not held, {1, attempts} for a retry, {2, attempts} if dead.
const NACK: &str = r#"
if redis.call('HGET', KEYS[3], ARGV[2]) ~= ARGV[3] then return {0, 0} end
local ent = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #ent == 0 then return {0, 0} end
return fail(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], fields(ent[1][2]),
  ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), now_ms())
"#;

/// KEYS: stream, leases, delayed, dlq. Returns {ready, leased, delayed, dead, oldest age or -1}.
const DEPTH: &str = r#"
local now = now_ms()
local len = redis.call('XLEN', KEYS[1])
local leased = redis.call('ZCOUNT', KEYS[2], string.format('(%d', now), '+inf')
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local age = -1
if #head > 0 then age = now - tonumber(fields(head[1][2]).t) end
return {len - leased, leased, redis.call('ZCARD', KEYS[3]), redis.call('XLEN', KEYS[4]), age}
"#;

/// The loaded scripts.
pub(super) struct Scripts {
    pub enqueue: redis::Script,
    pub lease: redis::Script,
    pub ack: redis::Script,
    pub extend: redis::Script,
    pub nack: redis::Script,
    pub depth: redis::Script,
}

impl Scripts {
    pub fn new() -> Self {
        let s = |body: &str| redis::Script::new(&format!("{PRELUDE}\n{body}"));
        Self {
            enqueue: s(ENQUEUE),
            lease: s(LEASE),
            ack: s(ACK),
            extend: s(EXTEND),
            nack: s(NACK),
            depth: s(DEPTH),
        }
    }
}
