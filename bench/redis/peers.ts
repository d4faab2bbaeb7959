/**
 * Distributed locks on Redis: the peers (redlock, effect-distributed-lock),
 * each in real processes against a private redis-server that this script
 * starts (no persistence, 127.0.0.1, a free port). Every contestant runs in
 * child processes (child.ts loading contestants/<name>.ts); a contestant is
 * one entry of `contestants` below.
 *
 * (a) Hand-off between two processes: A holds the lock, B asks for it and
 *     waits, A releases after a random 30–130 ms (so that a poller's phase
 *     is random too). Latency = the moment B's critical section starts − the
 *     moment A's ends, both on the machine-wide monotonic clock (see `now`
 *     in contestant.ts); the roles alternate. Also the Redis commands and new
 *     connections per hand-off.
 * (b) Uncontended acquire+release in one process: time per pair (median of
 *     5 batches of 200), the Redis commands per pair, the connections opened
 *     per pair and Redis' CPU per pair.
 * (c) Throughput: 3 processes × 8 workers share a semaphore of 10 permits,
 *     each critical section a 1 ms timer, for 5 s. Operations per second,
 *     how busy the 10 permits were, the most holders seen at once (from the
 *     spans every process records: never above 10), the wait to acquire.
 *
 * Commands are counted with MONITOR during extra rounds after the timed
 * ones (MONITOR slows the server a little), as sent by the clients, with the
 * calls made inside scripts apart (INFO commandstats counts both alike).
 * Connections and CPU come from INFO before and after the timed part.
 *
 * A contestant: a module in contestants/ whose default export is a
 * `Contestant` (contestant.ts), added as one entry of `contestants`.
 *
 * Prints a Markdown table per measure, then the JSON summary.
 * `node bench/redis/peers.ts [--rounds 40] [--seconds 5] [--only name] [--json file]`
 */
import { writeFileSync } from "node:fs"
import { createConnection } from "node:net"
import { cpus, loadavg } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type NodeProcess, spawnNode } from "../../test/utils/processes.ts"
import { type RedisServer, startRedis } from "../../test/utils/redis.ts"
import { mdTable } from "../harness.ts"

/** The contestants: a module under contestants/ each (its default export is a `Contestant`). */
export const contestants: ReadonlyArray<{ readonly key: string; readonly module: string }> = [
  { key: "effect-go", module: "contestants/effect-go.ts" },
  { key: "redlock", module: "contestants/redlock.ts" },
  { key: "effect-distributed-lock", module: "contestants/effect-distributed-lock.ts" }
]

// -----------------------------------------------------------------------------
// Options
// -----------------------------------------------------------------------------

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}
const ROUNDS = Math.max(30, Number(flag("rounds") ?? 40))
const WARMUP_ROUNDS = 3
const SECONDS = Number(flag("seconds") ?? 5)
const ONLY = flag("only")
const JSON_OUT = flag("json")
const PAIR_BATCHES = 5
const PAIRS_PER_BATCH = 200
const PROCESSES = 3
const WORKERS = 8
const PERMITS = 10
const SECTION_MS = 1

// -----------------------------------------------------------------------------
// Statistics
// -----------------------------------------------------------------------------

const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

const summary = (xs: ReadonlyArray<number>) => ({
  n: xs.length,
  median: quantile(xs, 0.5),
  p90: quantile(xs, 0.9),
  p99: quantile(xs, 0.99),
  min: Math.min(...xs),
  max: Math.max(...xs)
})

/** The most spans open at once (an end at the same instant as a start closes first). */
const maxOverlap = (spans: ReadonlyArray<readonly [number, number]>): number => {
  const events: Array<[number, number]> = []
  for (const [start, end] of spans) events.push([start, 1], [end, -1])
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let open = 0
  let most = 0
  for (const [, delta] of events) most = Math.max(most, (open += delta))
  return most
}

const fmtUs = (us: number): string =>
  !Number.isFinite(us)
    ? "—"
    : us >= 10_000
      ? `${(us / 1000).toFixed(0)} ms`
      : us >= 1000
        ? `${(us / 1000).toFixed(1)} ms`
        : `${us.toFixed(0)} µs`

const fmtNum = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : "—")

// -----------------------------------------------------------------------------
// Redis accounting
// -----------------------------------------------------------------------------

/** Connections accepted and CPU used (user + sys) by the server so far. */
interface Counters {
  readonly connections: number
  readonly cpuSeconds: number
}

const counters = async (server: RedisServer): Promise<Counters> => {
  const info = String(await server.command("INFO", "stats", "cpu"))
  let connections = 0
  let cpuSeconds = 0
  for (const line of info.split("\r\n")) {
    const conn = /^total_connections_received:(\d+)/.exec(line)
    if (conn !== null) connections = Number(conn[1])
    const cpu = /^used_cpu_(?:sys|user):([\d.]+)/.exec(line)
    if (cpu !== null) cpuSeconds += Number(cpu[1])
  }
  return { connections, cpuSeconds }
}

/** Per operation: connections opened, and the server's CPU (µs), between `before` and `after`. */
const load = (before: Counters, after: Counters, operations: number, ownConnections = 1) => ({
  // The INFO call of `after` opened a connection of its own (and so may a monitor).
  connections: (after.connections - before.connections - ownConnections) / operations,
  cpuUs: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / operations
})

/**
 * The commands clients send, counted with MONITOR (INFO commandstats would
 * count the calls scripts make too, and a script is one round trip):
 * `stop()` gives the commands per operation, by name, and apart the calls
 * made inside scripts.
 */
const monitor = async (server: RedisServer) => {
  const sent: Record<string, number> = {}
  let scriptCalls = 0
  const socket = createConnection({ host: "127.0.0.1", port: server.port })
  let partial = ""
  let started: () => void
  const ready = new Promise<void>((resolve) => (started = resolve))
  const sentinel = `monitor-end-${process.pid}-${Math.random()}`
  let seenSentinel: () => void
  const ended = new Promise<void>((resolve) => (seenSentinel = resolve))
  socket.setEncoding("utf8")
  socket.on("connect", () => socket.write("MONITOR\r\n"))
  socket.on("data", (chunk: string) => {
    partial += chunk
    let eol = partial.indexOf("\r\n")
    while (eol >= 0) {
      const line = partial.slice(0, eol)
      partial = partial.slice(eol + 2)
      eol = partial.indexOf("\r\n")
      if (line === "+OK") {
        started()
        continue
      }
      // +1700000000.123456 [0 127.0.0.1:40000] "evalsha" "..."   or   [0 lua] "zadd" ...
      const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line)
      if (m === null) continue
      if (line.includes(sentinel)) seenSentinel()
      else if (m[1] === "lua") scriptCalls++
      else sent[m[2]!.toLowerCase()] = (sent[m[2]!.toLowerCase()] ?? 0) + 1
    }
  })
  await ready
  return {
    /** Stops counting once every command sent so far has been seen (the feed lags behind the replies). */
    stop: async (operations: number): Promise<Commands> => {
      await server.command("ECHO", sentinel)
      await ended
      socket.destroy()
      const perOp: Record<string, number> = {}
      let total = 0
      for (const [name, n] of Object.entries(sent)) {
        perOp[name] = n / operations
        total += n
      }
      return { sent: perOp, total: total / operations, scriptCalls: scriptCalls / operations }
    }
  }
}

/** Commands per operation. */
interface Commands {
  /** Sent by clients, by command (each one a round trip, unless pipelined). */
  readonly sent: Record<string, number>
  readonly total: number
  /** `redis.call`s made inside scripts. */
  readonly scriptCalls: number
}

const fmtCommands = (c: Commands): string =>
  `${fmtNum(c.total, 2)}: ${Object.entries(c.sent)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${fmtNum(n, 2)}`)
    .join(", ")} (+${fmtNum(c.scriptCalls, 1)} in scripts)`

// -----------------------------------------------------------------------------
// Children
// -----------------------------------------------------------------------------

const childScript = join(import.meta.dirname, "child.ts")

const spawnPeer = (server: RedisServer, module: string): NodeProcess =>
  spawnNode(childScript, [join(import.meta.dirname, module)], { env: { REDIS_URL: server.url } })

const is = (ev: string, id?: number) => (line: any) => line.ev === ev && (id === undefined || line.id === id)

/** Sends `message` and waits for the answer `ev` (failing on an `error` line of that child). */
const ask = async <A = any>(child: NodeProcess, message: object, ev: string, timeoutMs = 30_000): Promise<A> => {
  child.send(message)
  const id = (message as { id?: number }).id
  const answer = await child.waitForLine((line) => is(ev, id)(line) || line.ev === "error", timeoutMs)
  if (answer.ev === "error") throw new Error(`${child.pid}: ${answer.op} failed: ${answer.error}\n${child.stderr()}`)
  return answer as A
}

const setLock = async (children: ReadonlyArray<NodeProcess>, lock: object): Promise<boolean> => {
  const answers = await Promise.all(
    children.map(async (child) => {
      child.send({ op: "lock", ...lock })
      return (await child.waitForLine((line) => line.ev === "ready" || line.ev === "unsupported")).ev
    })
  )
  return answers.every((ev) => ev === "ready")
}

const closeAll = async (children: ReadonlyArray<NodeProcess>): Promise<void> => {
  for (const child of children) child.send({ op: "exit" })
  await Promise.all(
    children.map((child) =>
      Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]).then(() =>
        child.kill("SIGKILL")
      )
    )
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// -----------------------------------------------------------------------------
// The measures
// -----------------------------------------------------------------------------

interface HandOff {
  readonly latencyUs: ReturnType<typeof summary>
  /** Hand-offs where B's section began before A's ended: mutual exclusion broken. */
  readonly overlaps: number
  /** Per hand-off (both processes), counted over extra rounds. */
  readonly commands: Commands
  readonly connections: number
}

const COUNTED_ROUNDS = 10

const handOff = async (server: RedisServer, module: string): Promise<HandOff> => {
  const pair = [spawnPeer(server, module), spawnPeer(server, module)] as const
  try {
    await setLock(pair, { kind: "mutex", name: "bench-handoff" })
    const latencies: Array<number> = []
    let overlaps = 0
    const round = async (id: number, measured: boolean) => {
      const holder = pair[id % 2]!
      const waiter = pair[1 - (id % 2)]!
      await ask(holder, { op: "hold", id }, "held")
      const acquired = ask<{ t1: number }>(waiter, { op: "wait", id }, "acquired")
      // Awaited below; until then a failure must not count as unhandled.
      acquired.catch(() => {})
      await waiter.waitForLine(is("waiting", id))
      await sleep(30 + Math.random() * 100)
      const { t0 } = await ask<{ t0: number }>(holder, { op: "release", id }, "released")
      const { t1 } = await acquired
      if (measured) {
        latencies.push(t1 - t0)
        if (t1 < t0) overlaps++
      }
    }
    let id = 0
    for (let i = 0; i < WARMUP_ROUNDS; i++) await round(id++, false)
    for (let i = 0; i < ROUNDS; i++) await round(id++, true)
    // Counting (MONITOR slows the server down a little: not while timing).
    const before = await counters(server)
    const watch = await monitor(server)
    for (let i = 0; i < COUNTED_ROUNDS; i++) await round(id++, false)
    const commands = await watch.stop(COUNTED_ROUNDS)
    const after = await counters(server)
    return {
      latencyUs: summary(latencies),
      overlaps,
      commands,
      // Besides `after`'s: the monitor's and the one that ended it.
      connections: load(before, after, COUNTED_ROUNDS, 3).connections
    }
  } finally {
    await closeAll(pair)
  }
}

interface Uncontended {
  /** Median over the batches of the time per acquire+release, µs. */
  readonly pairUs: number
  readonly batchesUs: ReadonlyArray<number>
  readonly commands: Commands
  readonly connections: number
  /** Redis CPU per pair, µs. */
  readonly cpuUs: number
}

const COUNTED_PAIRS = 50

const uncontended = async (server: RedisServer, module: string): Promise<Uncontended> => {
  const child = spawnPeer(server, module)
  try {
    await setLock([child], { kind: "mutex", name: "bench-solo" })
    await ask(child, { op: "pairs", n: 100 }, "pairs")
    const before = await counters(server)
    const batches: Array<number> = []
    for (let i = 0; i < PAIR_BATCHES; i++) {
      const { us, n } = await ask<{ us: number; n: number }>(child, { op: "pairs", n: PAIRS_PER_BATCH }, "pairs")
      batches.push(us / n)
    }
    const after = await counters(server)
    const watch = await monitor(server)
    await ask(child, { op: "pairs", n: COUNTED_PAIRS }, "pairs")
    const commands = await watch.stop(COUNTED_PAIRS)
    return {
      pairUs: quantile(batches, 0.5),
      batchesUs: batches,
      commands,
      ...load(before, after, PAIR_BATCHES * PAIRS_PER_BATCH)
    }
  } finally {
    await closeAll([child])
  }
}

type Throughput =
  | { readonly supported: false }
  | {
      readonly supported: true
      readonly opsPerSecond: number
      /** Share of the permits' time (10 × the run) spent inside critical sections. */
      readonly permitUse: number
      /** The most critical sections seen at once, across all processes (must be ≤ 10). */
      readonly maxHolders: number
      readonly waitUs: ReturnType<typeof summary>
      /** How long the 1 ms critical sections took: more means the holders' event loops lagged. */
      readonly sectionUs: ReturnType<typeof summary>
      readonly failures: number
      readonly firstFailure: string | undefined
      /** Per operation, counted over an extra 1 s run. */
      readonly commands: Commands
      readonly connections: number
      /** Redis CPU per operation, µs. */
      readonly cpuUs: number
    }

const throughput = async (server: RedisServer, module: string): Promise<Throughput> => {
  const children = Array.from({ length: PROCESSES }, () => spawnPeer(server, module))
  try {
    if (!(await setLock(children, { kind: "semaphore", name: "bench-semaphore", permits: PERMITS }))) {
      return { supported: false }
    }
    const run = (ms: number) =>
      Promise.all(
        children.map((child) =>
          ask<{ spans: Array<[number, number]>; waits: Array<number>; failures: number; firstFailure?: string }>(
            child,
            { op: "run", ms, workers: WORKERS, sectionMs: SECTION_MS },
            "ran",
            ms + 60_000
          )
        )
      )
    await run(500)
    const before = await counters(server)
    const results = await run(SECONDS * 1000)
    const after = await counters(server)
    const spans = results.flatMap((r) => r.spans)
    const busyUs = spans.reduce((sum, [start, end]) => sum + (end - start), 0)
    const watch = await monitor(server)
    const counted = await run(1000)
    const commands = await watch.stop(
      Math.max(
        1,
        counted.reduce((n, r) => n + r.spans.length, 0)
      )
    )
    return {
      supported: true,
      opsPerSecond: spans.length / SECONDS,
      permitUse: busyUs / (PERMITS * SECONDS * 1e6),
      maxHolders: maxOverlap(spans),
      waitUs: summary(results.flatMap((r) => r.waits)),
      sectionUs: summary(spans.map(([start, end]) => end - start)),
      failures: results.reduce((n, r) => n + r.failures, 0),
      firstFailure: results.find((r) => r.firstFailure !== undefined)?.firstFailure,
      commands,
      ...load(before, after, Math.max(1, spans.length))
    }
  } finally {
    await closeAll(children)
  }
}

// -----------------------------------------------------------------------------
// Main
// -----------------------------------------------------------------------------

interface Result {
  readonly name: string
  readonly notes: string
  readonly handOff: HandOff
  readonly uncontended: Uncontended
  readonly throughput: Throughput
}

/** The contestant's name and notes, as its process introduces itself. */
const describeContestant = async (server: RedisServer, module: string): Promise<{ name: string; notes: string }> => {
  const child = spawnPeer(server, module)
  try {
    return await child.waitForLine(is("hello"))
  } finally {
    await closeAll([child])
  }
}

/** Runs every contestant; returns the Markdown tables and the JSON summary (progress goes to stderr). */
export const redisLocks = async (): Promise<{ readonly markdown: string; readonly json: string }> => {
  const server = await startRedis()
  const results: Array<Result> = []
  try {
    const version = String(await server.command("INFO", "server")).match(/redis_version:([^\r\n]+)/)?.[1] ?? "?"
    console.error(
      `redis-server ${version} on ${server.url}; ${cpus().length} cores, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}; Node ${process.version}`
    )
    for (const entry of contestants) {
      if (ONLY !== undefined && !entry.key.includes(ONLY)) continue
      const { name, notes } = await describeContestant(server, entry.module)
      await server.flush()
      await server.command("SCRIPT", "FLUSH")
      console.error(`${name}: (a) hand-off, ${ROUNDS} rounds...`)
      const a = await handOff(server, entry.module)
      await server.flush()
      console.error(`${name}: (b) uncontended pairs...`)
      const b = await uncontended(server, entry.module)
      await server.flush()
      console.error(
        `${name}: (c) ${PROCESSES} processes × ${WORKERS} workers, semaphore of ${PERMITS}, ${SECONDS} s...`
      )
      const c = await throughput(server, entry.module)
      const left = await server.keys()
      if (left.length > 0) console.error(`${name}: keys left behind: ${left.join(", ")}`)
      results.push({ name, notes, handOff: a, uncontended: b, throughput: c })
    }
  } finally {
    await server.close()
  }

  const out: Array<string> = []
  out.push(
    `### (a) Lock hand-off between two processes (${ROUNDS} hand-offs; from the end of A's critical section to the start of B's)`,
    "",
    mdTable(
      [
        "contestant",
        "median",
        "p90",
        "min",
        "max",
        "overlaps",
        "Redis commands / hand-off",
        "new connections / hand-off"
      ],
      results.map((r) => [
        r.name,
        fmtUs(r.handOff.latencyUs.median),
        fmtUs(r.handOff.latencyUs.p90),
        fmtUs(r.handOff.latencyUs.min),
        fmtUs(r.handOff.latencyUs.max),
        String(r.handOff.overlaps),
        fmtCommands(r.handOff.commands),
        fmtNum(r.handOff.connections, 2)
      ])
    ),
    "",
    `### (b) Uncontended acquire + release, one process (${PAIR_BATCHES} × ${PAIRS_PER_BATCH} pairs)`,
    "",
    mdTable(
      [
        "contestant",
        "time / pair (median of batches)",
        "Redis commands / pair",
        "new connections / pair",
        "Redis CPU / pair"
      ],
      results.map((r) => [
        r.name,
        fmtUs(r.uncontended.pairUs),
        fmtCommands(r.uncontended.commands),
        fmtNum(r.uncontended.connections, 2),
        fmtUs(r.uncontended.cpuUs)
      ])
    ),
    "",
    `### (c) Semaphore of ${PERMITS}, ${PROCESSES} processes × ${WORKERS} workers, ${SECTION_MS} ms critical sections, ${SECONDS} s`,
    "",
    mdTable(
      [
        "contestant",
        "ops/s",
        "permits busy",
        "most holders at once",
        "wait median",
        "wait p99",
        "section median",
        "Redis commands / op",
        "Redis CPU / op",
        "failures"
      ],
      results.map((r) =>
        r.throughput.supported
          ? [
              r.name,
              fmtNum(r.throughput.opsPerSecond, 0),
              `${fmtNum(r.throughput.permitUse * 100, 0)} %`,
              String(r.throughput.maxHolders),
              fmtUs(r.throughput.waitUs.median),
              fmtUs(r.throughput.waitUs.p99),
              fmtUs(r.throughput.sectionUs.median),
              fmtCommands(r.throughput.commands),
              fmtUs(r.throughput.cpuUs),
              String(r.throughput.failures)
            ]
          : [r.name, "no semaphore", "—", "—", "—", "—", "—", "—", "—", "—"]
      )
    ),
    "",
    ...results.map((r) => `- ${r.name}: ${r.notes}`),
    ...results.flatMap((r) =>
      r.throughput.supported && r.throughput.failures > 0
        ? [`- ${r.name}: ${r.throughput.failures} acquisitions failed in (c); the first: ${r.throughput.firstFailure}`]
        : []
    )
  )
  const json = JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, results }, null, 2)
  return { markdown: out.join("\n"), json }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { markdown, json } = await redisLocks()
  console.log(markdown)
  console.log(`\n${json}`)
  if (JSON_OUT !== undefined) writeFileSync(JSON_OUT, `${json}\n`)
}
