/**
 * The Lua scripts behind a Semaphore (and a Mutex, a Semaphore of one) kept
 * in Redis. Each runs atomically, so "check, then grant" never races across
 * processes; each reads the time from Redis (`TIME`), one clock for all of
 * them.
 *
 * State of one semaphore (keys share the hash tag `{name}`):
 * - `queue`  ZSET  waiting tickets, scored by arrival: strict FIFO, no barging;
 * - `wants`  HASH  ticket → permits asked for;
 * - `held`   HASH  ticket → permits held;
 * - `fences` HASH  ticket → its fencing token;
 * - `leases` ZSET  ticket (waiting or holding) → when its lease ends (ms);
 * - `meta`   HASH  size, used (the sum of `held`), seq (arrival counter),
 *                  fence (token counter), grace (no grant before this time).
 *
 * A ticket whose lease ended is swept at the start of every script: a
 * crashed holder's permits come back, a crashed waiter leaves the queue.
 * Granting serves the head while it fits and publishes `ticket token` on
 * the grants channel, which wakes the waiter in its process.
 *
 * `meta` lives as long as Redis keeps its data. When a script finds it
 * missing (first use, or Redis lost its data: a restart without
 * persistence), it grants nothing for one lease: a holder from before the
 * loss is interrupted by then, because its renewals fail. Tokens restart
 * from Redis' time in microseconds, so they stay above every token given
 * before.
 *
 * Names and values arrive as KEYS and ARGV only.
 */
import * as Redis from "effect/persistence/Redis"

/** The keys of one semaphore, in the order every script takes them. */
export interface SemaphoreKeys {
  readonly queue: string
  readonly wants: string
  readonly held: string
  readonly fences: string
  readonly leases: string
  readonly meta: string
  readonly grants: string
}

export const semaphoreKeys = (base: string): SemaphoreKeys => ({
  queue: `${base}:queue`,
  wants: `${base}:wants`,
  held: `${base}:held`,
  fences: `${base}:fences`,
  leases: `${base}:leases`,
  meta: `${base}:meta`,
  grants: `${base}:grants`
})

/** The state every script needs: keys, then ARGV grants channel, size, lease ms, grace ms. */
interface Common {
  readonly keys: SemaphoreKeys
  readonly size: number
  readonly leaseMs: number
}

const keyList = (k: SemaphoreKeys): Array<string> => [k.queue, k.wants, k.held, k.fences, k.leases, k.meta]
const commonArgs = (c: Common): Array<string | number> => [c.keys.grants, c.size, c.leaseMs]
/** The arguments of a script about one ticket and a permit count. */
const ticketArgs = (c: Common, ticket: string, n: number): Array<string | number> => [
  ...keyList(c.keys),
  ...commonArgs(c),
  ticket,
  n
]

const PRELUDE = `
local queue, wants, held, fences, leases, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local grants, askedSize, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(x) return string.format('%.0f', x) end

-- The state is read once; \`used\` is kept here and written back once, by
-- \`flush\`, which every script calls before it returns.
local m = redis.call('HMGET', meta, 'size', 'used', 'grace')
if not m[1] then
  m = { askedSize, 0, now + lease }
  redis.call('HSET', meta, 'size', askedSize, 'used', 0, 'seq', 0,
    'fence', int(tonumber(t[1]) * 1000000 + tonumber(t[2])), 'grace', int(now + lease))
end
local size, used, grace = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
local usedBefore = used
local function flush()
  if used ~= usedBefore then redis.call('HSET', meta, 'used', used) end
end

local function sweep()
  local dead = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, id in ipairs(dead) do
    local n = redis.call('HGET', held, id)
    if n then
      redis.call('HDEL', held, id)
      redis.call('HDEL', fences, id)
      used = used - tonumber(n)
    else
      redis.call('ZREM', queue, id)
      redis.call('HDEL', wants, id)
    end
    redis.call('ZREM', leases, id)
  end
end

local function give(id, n)
  redis.call('HSET', held, id, n)
  used = used + n
  local fence = int(redis.call('HINCRBY', meta, 'fence', 1))
  redis.call('HSET', fences, id, fence)
  redis.call('ZADD', leases, int(now + lease), id)
  return fence
end

-- Grants from the head while it fits, and wakes each grantee's process,
-- except the caller's own ticket \`quiet\`, which learns it from the reply.
local function serve(quiet)
  if now < grace then return end
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then return end
    local want = tonumber(redis.call('HGET', wants, head))
    if size - used < want then return end
    redis.call('ZREM', queue, head)
    redis.call('HDEL', wants, head)
    local fence = give(head, want)
    if head ~= quiet then redis.call('PUBLISH', grants, head .. ' ' .. fence) end
  end
end

local function status(id)
  if redis.call('HEXISTS', held, id) == 1 then return redis.call('HGET', fences, id) end
  if redis.call('ZSCORE', queue, id) then return 'w' end
  return 'x'
end
`

/**
 * Creates the state if missing and says the size stored, so that a process
 * asking for another size learns it at once.
 */
export const init = Redis.script((c: Common) => [...keyList(c.keys), ...commonArgs(c)], {
  lua: `${PRELUDE}
sweep()
serve()
flush()
return size`,
  numberOfKeys: 6
}).withReturnType<number>()

/**
 * Queues `ticket` for `n` permits (once: a retry finds it queued) and serves
 * the head; when nobody waits and the permits are free, grants them without
 * queuing. Says the ticket's token if it was granted, `w` if it waits.
 */
export const acquire = Redis.script(
  ticketArgs,
  {
    lua: `${PRELUDE}
local ticket, n = ARGV[4], tonumber(ARGV[5])
sweep()
if not redis.call('HGET', held, ticket) and not redis.call('ZSCORE', queue, ticket) then
  if now >= grace and size - used >= n and redis.call('ZCARD', queue) == 0 then
    local fence = give(ticket, n)
    flush()
    return fence
  end
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('ZADD', queue, seq, ticket)
  redis.call('HSET', wants, ticket, n)
  redis.call('ZADD', leases, int(now + lease), ticket)
end
serve(ticket)
flush()
return status(ticket)`,
    numberOfKeys: 6
  }
).withReturnType<string>()

/**
 * Grants `n` permits to `ticket` if nobody waits and they are free (no
 * barging), after serving the queue. Says the token, or `x`.
 */
export const tryAcquire = Redis.script(
  ticketArgs,
  {
    lua: `${PRELUDE}
local ticket, n = ARGV[4], tonumber(ARGV[5])
sweep()
serve()
local granted = 'x'
if now >= grace and size - used >= n and redis.call('ZCARD', queue) == 0 then
  granted = give(ticket, n)
end
flush()
return granted`,
    numberOfKeys: 6
  }
).withReturnType<string>()

/**
 * Gives back `n` of the permits `ticket` holds, then serves the queue. Says
 * 1, or 0 when the ticket held nothing any more (its lease had ended).
 */
export const release = Redis.script(
  ticketArgs,
  {
    lua: `${PRELUDE}
local ticket, n = ARGV[4], tonumber(ARGV[5])
sweep()
local had = redis.call('HGET', held, ticket)
if not had then
  flush()
  return 0
end
had = tonumber(had)
if n > had then n = had end
if had - n <= 0 then
  redis.call('HDEL', held, ticket)
  redis.call('HDEL', fences, ticket)
  redis.call('ZREM', leases, ticket)
else
  redis.call('HSET', held, ticket, had - n)
end
used = used - n
serve()
flush()
return 1`,
    numberOfKeys: 6
  }
).withReturnType<number>()

/**
 * Takes `ticket` out, waiting or holding (a grant its waiter never saw goes
 * back), then serves the queue: the head may have left, or permits come
 * back.
 */
export const cancel = Redis.script(
  (c: Common, ticket: string) => [...keyList(c.keys), ...commonArgs(c), ticket],
  {
    lua: `${PRELUDE}
local ticket = ARGV[4]
sweep()
local had = redis.call('HGET', held, ticket)
if had then
  redis.call('HDEL', held, ticket)
  redis.call('HDEL', fences, ticket)
  used = used - tonumber(had)
end
redis.call('ZREM', queue, ticket)
redis.call('HDEL', wants, ticket)
redis.call('ZREM', leases, ticket)
serve()
flush()
return 1`,
    numberOfKeys: 6
  }
).withReturnType<number>()

/**
 * Renews the leases of one process's tickets (ARGV: ticket, permits wanted
 * or 0 for a holder, repeated) and serves the queue. Says, per ticket, its
 * token (granted: this also delivers a grant whose message was lost), `w`
 * (waiting) or `x` (gone: a holder's lease is lost; a waiter Redis lost is
 * queued again by its process, which alone knows it still waits).
 */
export const renew = Redis.script(
  (c: Common, tickets: ReadonlyArray<string | number>) => [...keyList(c.keys), ...commonArgs(c), ...tickets],
  {
    lua: `${PRELUDE}
sweep()
local until_ = int(now + lease)
for i = 4, #ARGV, 2 do
  local ticket = ARGV[i]
  if redis.call('HGET', held, ticket) or redis.call('ZSCORE', queue, ticket) then
    redis.call('ZADD', leases, 'XX', until_, ticket)
  end
end
serve()
flush()
local out = {}
for i = 4, #ARGV, 2 do
  out[#out + 1] = status(ARGV[i])
end
return out`,
    numberOfKeys: 6
  }
).withReturnType<Array<string>>()

/** Serves the queue and says the free permits. */
export const available = Redis.script((c: Common) => [...keyList(c.keys), ...commonArgs(c)], {
  lua: `${PRELUDE}
sweep()
serve()
flush()
return size - used`,
  numberOfKeys: 6
}).withReturnType<number>()
