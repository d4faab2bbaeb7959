/**
 * A real-service row: a crawler written twice, once with effect-go the way
 * its documentation recommends and once in plain Effect the way an Effect
 * user would write it, doing the same work against the same in-process fake
 * upstream, with the same key lists, in one process, in alternating rounds.
 *
 * A request crawls a page: it fetches the page's list of keys (8–16 keys,
 * drawn from a skewed key space so that concurrent requests share keys),
 * fetches every key from the upstream, at most 4 at once, each fetch under a
 * 50 ms timeout, deduplicated across concurrent requests (a second request
 * for a key already being fetched waits for that fetch), every upstream call
 * guarded by a global upstream semaphore provided as a service, then parses
 * the bodies in an ordered transform stage of 2 workers. The first failed
 * fetch fails the request and stops its other fetches (errgroup semantics).
 *
 * | | effect-go | plain Effect |
 * | --- | --- | --- |
 * | bounded fan-out, first error cancels | `ErrGroup.forEach(keys, f, { limit: 4 })` (Go's `SetLimit` + a `Go` per key writing `bodies[i]` + `Wait`) | `Effect.forEach(keys, f, { concurrency: 4 })` |
 * | per-fetch timeout | `GoContext.runWithTimeout` (Go's `WithTimeout` + `defer cancel()` around one call) | `Effect.timeout` |
 * | dedup of concurrent fetches | `SingleFlight.do` | `Cache` with `timeToLive: 0` |
 * | global upstream limit, as a service | `Semaphore.Service` + its `layer` | `Semaphore` (effect/Semaphore) in a `Context.Service` + `Layer` |
 * | ordered transform | `Pipeline.parallel(bodies, parse, { workers: 2 })` (Go's `MD5All` bounded parallelism) | `Effect.forEach(bodies, parse, { concurrency: 2 })` |
 *
 * A third version is plain Effect with the transform as Effect's own
 * concurrent ordered stage (`Stream.mapEffect`), which hands each value over
 * between fibers as a channel stage does: what that design costs in Effect
 * alone, measured in the same rounds. (effect-go's own channel stage — the
 * transform as `Pipeline.from` → `map` → `collect`, as the first version of
 * this service wrote it — is measured in place by {@link swapRow}.)
 *
 * The fake upstream is deterministic per key: a latency of 1–3 ms (a few
 * keys 120 ms, beyond the timeout) and a small set of keys that always fail.
 * So which requests fail, and why, depends only on their key lists (the
 * same for both versions), not on timing: the error counts of both versions
 * must match (the timeouts too, unless the machine stalls a request's
 * fetches for 50 ms), and so must the checksum of the parsed results.
 *
 * Measured per version, over its rounds (each round: 32 clients, each
 * issuing its share of the round's requests back to back):
 * - CPU per request: `process.cpuUsage()` (user + system) over the round,
 *   divided by its requests; the load driver is the same code for both.
 * - Fibers per request: Effect numbers fibers from one global counter
 *   (`Fiber.id`); a probe fiber's id before and after the round gives how
 *   many fibers the round created (every fork: the versions never run at
 *   the same time), less the probes themselves, divided by the requests.
 * - Requests per second (requests / wall time of the round), and the
 *   latency of each request (p50, p99 over every request of every round).
 */
import * as Cache from "effect/Cache"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as EffectSemaphore from "effect/Semaphore"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import { xorshift } from "./floor.ts"
import { roundOrder } from "./harness.ts"

// -----------------------------------------------------------------------------
// Parameters
// -----------------------------------------------------------------------------

/** Distinct keys; drawn skewed (key i with density ~ i^-2/3), so popular keys recur across requests. */
const KEY_SPACE = 400
const KEYS_MIN = 8
const KEYS_MAX = 16
/** Fetches of one request running at once. */
const FETCH_LIMIT = 4
const FETCH_TIMEOUT_MS = 50
/** The global upstream semaphore's permits. */
const UPSTREAM_PERMITS = 64
/** Workers of the transform stage. */
const PARSE_WORKERS = 2
/** Concurrent clients of the service. */
const CLIENTS = 32
/** Latency of the page fetch (the list of keys). */
const PAGE_LATENCY_MS = 1
/** A slow key answers after this long: its fetch times out. */
const SLOW_LATENCY_MS = 120
/** Of the keys outside the popular quarter: the share that always fails, and the share that is slow. */
const FAIL_SHARE = 0.01
const SLOW_SHARE = 0.004
const SEED = 0x5eed

// -----------------------------------------------------------------------------
// The fake upstream (shared by both versions)
// -----------------------------------------------------------------------------

interface KeyInfo {
  readonly latency: number
  readonly fails: boolean
}

const keyName = (i: number): string => `k${i}`

/** Every key's behaviour, from the seed. */
const keyTable: ReadonlyMap<string, KeyInfo> = (() => {
  const random = xorshift(SEED)
  const table = new Map<string, KeyInfo>()
  for (let i = 0; i < KEY_SPACE; i++) {
    const latency = 1 + Math.floor(random() * 3)
    const roll = random()
    const tail = i >= KEY_SPACE / 4
    const fails = tail && roll < FAIL_SHARE
    const slow = tail && !fails && roll < FAIL_SHARE + SLOW_SHARE
    table.set(keyName(i), { latency: slow ? SLOW_LATENCY_MS : latency, fails })
  }
  return table
})()

/** A page: the keys it links to. */
export interface Page {
  readonly id: number
  readonly keys: ReadonlyArray<string>
}

/** The pages of one round, per client: the same lists for both versions. */
const makePages = (round: number, perClient: number): ReadonlyArray<ReadonlyArray<Page>> => {
  const random = xorshift(SEED ^ Math.imul(round + 1, 0x9e3779b1))
  const clients: Array<Array<Page>> = []
  let id = 0
  for (let c = 0; c < CLIENTS; c++) {
    const pages: Array<Page> = []
    for (let r = 0; r < perClient; r++) {
      const n = KEYS_MIN + Math.floor(random() * (KEYS_MAX - KEYS_MIN + 1))
      const keys: Array<string> = []
      for (let k = 0; k < n; k++) keys.push(keyName(Math.floor(KEY_SPACE * random() ** 3)))
      pages.push({ id: id++, keys })
    }
    clients.push(pages)
  }
  return clients
}

class UpstreamError extends Data.TaggedError("UpstreamError")<{ readonly key: string }> {}

/** Upstream calls made (both versions; dedup makes it lower than the keys fetched). */
let upstreamCalls = 0

/** GET /page/:id — the page's keys. */
const fetchPage = (page: Page): Effect.Effect<ReadonlyArray<string>> =>
  Effect.as(Effect.sleep(PAGE_LATENCY_MS), page.keys)

/** GET /item/:key — the key's body, after its latency; a failing key fails. */
const upstreamGet = (key: string): Effect.Effect<string, UpstreamError> =>
  Effect.suspend(() => {
    upstreamCalls++
    const info = keyTable.get(key)!
    return Effect.andThen(
      Effect.sleep(info.latency),
      info.fails
        ? Effect.fail(new UpstreamError({ key }))
        : Effect.succeed(`<item key="${key}">${key.repeat(8)}</item>`)
    )
  })

/** The transform: a checksum of the body (FNV-1a), standing for a parse. */
const digest = (body: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < body.length; i++) h = Math.imul(h ^ body.charCodeAt(i), 16777619)
  return h >>> 0
}

const parse = (body: string): Effect.Effect<number> => Effect.sync(() => digest(body))

// -----------------------------------------------------------------------------
// effect-go version
// -----------------------------------------------------------------------------

/** The global upstream limit, as the application declares it. */
class UpstreamLimit extends Semaphore.Service<UpstreamLimit>()("crawler/UpstreamLimit") {}

/** The parts {@link swapRow} swaps, in its table's order. */
const SWAPS = ["fan-out", "timeout", "dedup", "upstream limit", "transform stage", "three-stage pipeline"] as const
/**
 * One part of the effect-go version done plain Effect's way instead (as the
 * plain Effect version does it), to measure what that part costs in place:
 * see {@link swapRow}. The last one is no plain Effect way: the transform as
 * a three-stage pipeline (`from` → `map` → `collect`), the way the first
 * version of this service wrote it, for what a channel stage costs there.
 */
export type Swap = (typeof SWAPS)[number]

/** What the effect-go version's requests share: the singleflight group, and what a swapped part needs instead. */
interface GoShared {
  readonly flights: SingleFlight.SingleFlight<string, UpstreamError>
  readonly swap: Swap | undefined
  /** The "dedup" swap's cache (its lookup within the upstream limit). */
  readonly items: Cache.Cache<string, string, UpstreamError> | undefined
  /** The "upstream limit" swap's semaphore. */
  readonly limit: EffectSemaphore.Semaphore | undefined
}

type GoCrawlError = UpstreamError | GoContext.ContextError | import("effect/Cause").TimeoutError

/** One key: deduplicated across requests, under its own timeout, within the upstream limit. */
const goFetchKey = (shared: GoShared, key: string): Effect.Effect<string, GoCrawlError, UpstreamLimit> => {
  const swap = shared.swap
  if (swap === "dedup") return GoContext.runWithTimeout(Cache.get(shared.items!, key), FETCH_TIMEOUT_MS)
  const upstream =
    swap === "upstream limit"
      ? shared.limit!.withPermits(1)(upstreamGet(key))
      : UpstreamLimit.withPermits(1)(upstreamGet(key))
  // Go: ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond); defer cancel(); group.Do(key, ...)
  const flight = SingleFlight.do(shared.flights, key, upstream)
  const timed: Effect.Effect<SingleFlight.Result<string>, GoCrawlError, UpstreamLimit> = swap === "timeout"
    ? Effect.timeout(flight, FETCH_TIMEOUT_MS)
    : GoContext.runWithTimeout(flight, FETCH_TIMEOUT_MS)
  return Effect.map(timed, (result) => result.value)
}

const goCrawl = (shared: GoShared, page: Page): Effect.Effect<ReadonlyArray<number>, GoCrawlError, UpstreamLimit> =>
  Effect.gen(function* () {
    const keys = yield* fetchPage(page)
    let bodies: ReadonlyArray<string>
    if (shared.swap === "fan-out") {
      bodies = yield* Effect.forEach(keys, (key) => goFetchKey(shared, key), { concurrency: FETCH_LIMIT })
    } else {
      // Go: g.SetLimit(4); for i, key := range keys { g.Go(func() error { bodies[i], err = fetch(ctx, key); ... }) }; g.Wait()
      bodies = yield* ErrGroup.forEach(keys, (key) => goFetchKey(shared, key), { limit: FETCH_LIMIT })
    }
    if (shared.swap === "transform stage") return yield* Effect.forEach(bodies, parse, { concurrency: PARSE_WORKERS })
    if (shared.swap === "three-stage pipeline") {
      return yield* Effect.scoped(
        Pipeline.from(bodies).pipe(
          Effect.flatMap(Pipeline.map(parse, { workers: PARSE_WORKERS, ordered: true })),
          Effect.flatMap(Pipeline.collect)
        )
      )
    }
    // Go: MD5All's bounded parallelism over the bodies, results in input order
    return yield* Pipeline.parallel(bodies, parse, { workers: PARSE_WORKERS })
  })

/** The effect-go service for one round (with one part swapped, given `swap`): its singleflight group and its semaphore layer. */
const goService = <A, E>(
  swap: Swap | undefined,
  body: (crawl: (page: Page) => Effect.Effect<ReadonlyArray<number>, GoCrawlError>) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function* () {
      const flights = yield* SingleFlight.make<string, UpstreamError>()
      const context = yield* Effect.context<UpstreamLimit>()
      const items =
        swap === "dedup"
          ? yield* Cache.make({
              lookup: (key: string) => UpstreamLimit.withPermits(1)(upstreamGet(key)),
              capacity: Number.POSITIVE_INFINITY,
              timeToLive: 0
            })
          : undefined
      const limit = swap === "upstream limit" ? yield* EffectSemaphore.make(UPSTREAM_PERMITS) : undefined
      const shared: GoShared = { flights, swap, items, limit }
      return yield* body((page) => Effect.provideContext(goCrawl(shared, page), context))
    })
  ).pipe(Effect.provide(UpstreamLimit.layer(UPSTREAM_PERMITS)))

// -----------------------------------------------------------------------------
// Plain Effect version
// -----------------------------------------------------------------------------

/** The global upstream limit: Effect's Semaphore as a service. */
class EffectUpstreamLimit extends Context.Service<EffectUpstreamLimit, EffectSemaphore.Semaphore>()(
  "crawler/EffectUpstreamLimit"
) {
  static readonly layer = Layer.effect(EffectUpstreamLimit, EffectSemaphore.make(UPSTREAM_PERMITS))
}

type EffectCrawlError = UpstreamError | import("effect/Cause").TimeoutError

const effectCrawl = (
  items: Cache.Cache<string, string, UpstreamError>,
  page: Page,
  stage: "forEach" | "stream"
): Effect.Effect<ReadonlyArray<number>, EffectCrawlError> =>
  Effect.gen(function* () {
    const keys = yield* fetchPage(page)
    const bodies = yield* Effect.forEach(keys, (key) => Cache.get(items, key).pipe(Effect.timeout(FETCH_TIMEOUT_MS)), {
      concurrency: FETCH_LIMIT
    })
    // The floor version: the transform as Effect's own concurrent ordered
    // stage, which hands each value over between fibers as a channel stage does.
    return stage === "forEach"
      ? yield* Effect.forEach(bodies, parse, { concurrency: PARSE_WORKERS })
      : yield* Stream.runCollect(
          Stream.fromIterable(bodies).pipe(Stream.mapEffect(parse, { concurrency: PARSE_WORKERS }))
        )
  })

/** The plain Effect service for one round: its cache (dedup only: entries leave when their lookup ends). */
const effectService = <A, E>(
  stage: "forEach" | "stream",
  body: (crawl: (page: Page) => Effect.Effect<ReadonlyArray<number>, EffectCrawlError>) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    const limit = yield* EffectUpstreamLimit
    const items = yield* Cache.make({
      lookup: (key: string) => limit.withPermits(1)(upstreamGet(key)),
      capacity: Number.POSITIVE_INFINITY,
      timeToLive: 0
    })
    return yield* body((page) => effectCrawl(items, page, stage))
  }).pipe(Effect.provide(EffectUpstreamLimit.layer))

// -----------------------------------------------------------------------------
// Load driver and measurement
// -----------------------------------------------------------------------------

/**
 * The versions of the service: effect-go, plain Effect, and plain Effect
 * with its transform as Effect's own concurrent stage (`Stream.mapEffect`):
 * the design of a channel stage, in Effect alone.
 */
export type Version = "effect-go" | "Effect" | "Effect, Stream stage"
const VERSIONS: ReadonlyArray<Version> = ["effect-go", "Effect", "Effect, Stream stage"]

interface RoundResult {
  readonly requests: number
  readonly cpuMicros: number
  readonly wallMs: number
  readonly fibers: number
  readonly latencies: Array<number>
  readonly errors: Record<string, number>
  readonly checksum: number
  readonly upstreamCalls: number
}

/** The current value of Effect's global fiber counter (the probe fiber's own id). */
const fiberCounter = (): number => Effect.runFork(Effect.void).id

/** Every client issues its pages one after another; all clients at once. */
const drive = <E extends { readonly _tag: string }>(
  crawl: (page: Page) => Effect.Effect<ReadonlyArray<number>, E>,
  pages: ReadonlyArray<ReadonlyArray<Page>>,
  latencies: Array<number>,
  errors: Record<string, number>,
  sum: { checksum: number }
): Effect.Effect<void> =>
  Effect.forEach(
    pages,
    (list) =>
      Effect.forEach(
        list,
        (page) =>
          Effect.suspend(() => {
            const t0 = performance.now()
            return Effect.map(Effect.exit(crawl(page)), (exit) => {
              latencies.push(performance.now() - t0)
              if (Exit.isSuccess(exit)) {
                for (const d of exit.value) sum.checksum = (sum.checksum + d) >>> 0
              } else {
                const error = exit.cause.reasons.find((r) => r._tag === "Fail")
                const tag = error === undefined ? "defect" : (error as { error: { _tag: string } }).error._tag
                errors[tag] = (errors[tag] ?? 0) + 1
              }
            })
          }),
        { discard: true }
      ),
    { concurrency: "unbounded", discard: true }
  )

const runRound = async (
  version: Version,
  pages: ReadonlyArray<ReadonlyArray<Page>>,
  swap?: Swap | undefined
): Promise<RoundResult> => {
  const latencies: Array<number> = []
  const errors: Record<string, number> = {}
  const sum = { checksum: 0 }
  const requests = pages.reduce((n, list) => n + list.length, 0)
  const program =
    version === "effect-go"
      ? goService(swap, (crawl) => drive(crawl, pages, latencies, errors, sum))
      : effectService(version === "Effect" ? "forEach" : "stream", (crawl) =>
          drive(crawl, pages, latencies, errors, sum)
        )
  const calls0 = upstreamCalls
  const id0 = fiberCounter()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Effect.runPromise(program)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  // Less the second probe and the fiber that ran the round.
  const fibers = fiberCounter() - id0 - 2
  return {
    requests,
    cpuMicros: cpu.user + cpu.system,
    wallMs,
    fibers,
    latencies,
    errors,
    checksum: sum.checksum,
    upstreamCalls: upstreamCalls - calls0
  }
}

/** One version's figures over its measured rounds. */
export interface CrawlerVersionResult {
  readonly version: Version
  readonly rounds: number
  readonly requests: number
  /** CPU µs per request: median over rounds, and min / max. */
  readonly cpuPerRequest: { readonly median: number; readonly min: number; readonly max: number }
  readonly fibersPerRequest: number
  /** Requests per second: median over rounds, and min / max. */
  readonly requestsPerSecond: { readonly median: number; readonly min: number; readonly max: number }
  /** Latency per request, ms, over every request. */
  readonly p50: number
  readonly p99: number
  /** Failed requests by error tag, over every measured round. */
  readonly errors: Readonly<Record<string, number>>
  readonly upstreamCallsPerRequest: number
  /** Of the parsed results of the successful requests. */
  readonly checksum: number
}

/** The crawler row. */
export interface CrawlerResult {
  readonly quick: boolean
  readonly clients: number
  readonly requestsPerRound: number
  readonly go: CrawlerVersionResult
  readonly effect: CrawlerVersionResult
  /** Plain Effect with Effect's own concurrent stage: the design of a channel stage, in Effect alone. */
  readonly effectStream: CrawlerVersionResult
  /** effect-go ÷ Effect, of the medians. */
  readonly cpuRatio: number
  readonly throughputRatio: number
  /** effect-go ÷ Effect with its own concurrent stage, of the medians. */
  readonly cpuRatioToStream: number
  /** Per round pair, effect-go ÷ Effect CPU per request (the spread of the ratio). */
  readonly cpuRatios: ReadonlyArray<number>
  /** Whether both versions failed the same requests for the same reasons and computed the same results. */
  readonly sameOutcomes: boolean
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

const summarize = (version: Version, rounds: ReadonlyArray<RoundResult>): CrawlerVersionResult => {
  const cpu = rounds.map((r) => r.cpuMicros / r.requests)
  const rps = rounds.map((r) => (r.requests * 1000) / r.wallMs)
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const requests = rounds.reduce((n, r) => n + r.requests, 0)
  const errors: Record<string, number> = {}
  for (const r of rounds) for (const [tag, n] of Object.entries(r.errors)) errors[tag] = (errors[tag] ?? 0) + n
  return {
    version,
    rounds: rounds.length,
    requests,
    cpuPerRequest: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu) },
    fibersPerRequest: rounds.reduce((n, r) => n + r.fibers, 0) / requests,
    requestsPerSecond: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps) },
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    upstreamCallsPerRequest: rounds.reduce((n, r) => n + r.upstreamCalls, 0) / requests,
    checksum: rounds.reduce((n, r) => (n + r.checksum) >>> 0, 0)
  }
}

/** Timeouts are named differently on each side; upstream failures alike. */
const errorKind = (tag: string): string =>
  tag === "DeadlineExceededError" || tag === "TimeoutError" ? "timeout" : tag === "UpstreamError" ? "upstream" : tag

const byKind = (errors: Readonly<Record<string, number>>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [tag, n] of Object.entries(errors)) out[errorKind(tag)] = (out[errorKind(tag)] ?? 0) + n
  return out
}

const sameErrors = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean => {
  const x = byKind(a)
  const y = byKind(b)
  const kinds = new Set([...Object.keys(x), ...Object.keys(y)])
  for (const k of kinds) if ((x[k] ?? 0) !== (y[k] ?? 0)) return false
  return true
}

/**
 * Runs the crawler row: warm-up rounds, then measured rounds, the versions
 * alternating (each follows each other equally often), with the same pages
 * for every version in each round. Full: about 15 s; quick: about 5 s.
 */
export const crawlerRow = async (options: {
  readonly quick: boolean
  readonly log?: ((line: string) => void) | undefined
  /** Runs this version alone (for a CPU profile of one side); the other's figures are then empty. */
  readonly only?: Version | undefined
}): Promise<CrawlerResult> => {
  const perClient = options.quick ? 6 : 12
  const warmup = options.quick ? 2 : 4
  const measured = options.quick ? 6 : 24
  const log = options.log ?? (() => {})
  const rounds: Record<Version, Array<RoundResult>> = { "effect-go": [], Effect: [], "Effect, Stream stage": [] }
  const cpuRatios: Array<number> = []
  let sameOutcomes = true
  for (let round = 0; round < warmup + measured; round++) {
    const pages = makePages(round, perClient)
    // Each version follows each other equally often (see `roundOrder`): the
    // one that runs next collects a round's garbage.
    const order =
      options.only !== undefined ? [options.only] : roundOrder(VERSIONS.length, round).map((i) => VERSIONS[i]!)
    const pair: Partial<Record<Version, RoundResult>> = {}
    for (const version of order) pair[version] = await runRound(version, pages)
    if (options.only !== undefined) continue
    const go = pair["effect-go"]!
    const eff = pair.Effect!
    const stream = pair["Effect, Stream stage"]!
    if (round < warmup) continue
    if (
      !sameErrors(go.errors, eff.errors) ||
      !sameErrors(go.errors, stream.errors) ||
      go.checksum !== eff.checksum ||
      go.checksum !== stream.checksum
    ) {
      // Timeouts can differ: a fetch that waits close to the timeout (a busy
      // event loop, the semaphore's queue) times out on one side only.
      sameOutcomes = false
      log(
        `  round ${round}: outcomes differ: effect-go ${JSON.stringify(go.errors)} checksum ${go.checksum}, Effect ${JSON.stringify(eff.errors)} checksum ${eff.checksum}, Effect with a Stream stage ${JSON.stringify(stream.errors)} checksum ${stream.checksum}`
      )
    }
    rounds["effect-go"].push(go)
    rounds.Effect.push(eff)
    rounds["Effect, Stream stage"].push(stream)
    cpuRatios.push(go.cpuMicros / go.requests / (eff.cpuMicros / eff.requests))
  }
  const go = summarize("effect-go", rounds["effect-go"])
  const eff = summarize("Effect", rounds.Effect)
  const stream = summarize("Effect, Stream stage", rounds["Effect, Stream stage"])
  return {
    quick: options.quick,
    clients: CLIENTS,
    requestsPerRound: CLIENTS * perClient,
    go,
    effect: eff,
    effectStream: stream,
    cpuRatio: go.cpuPerRequest.median / eff.cpuPerRequest.median,
    throughputRatio: go.requestsPerSecond.median / eff.requestsPerSecond.median,
    cpuRatioToStream: go.cpuPerRequest.median / stream.cpuPerRequest.median,
    cpuRatios,
    sameOutcomes
  }
}

const fmt = (x: number, digits = 0): string => x.toFixed(digits)

const errorsText = (errors: Readonly<Record<string, number>>): string => {
  const kinds = byKind(errors)
  const parts = Object.entries(kinds).map(([k, n]) => `${n} ${k}`)
  return parts.length === 0 ? "0" : parts.join(", ")
}

/** The row as a small markdown table, with the ratios and whether the targets are met. */
export const crawlerMarkdown = (r: CrawlerResult): string => {
  const line = (v: CrawlerVersionResult) =>
    `| ${v.version} | ${fmt(v.cpuPerRequest.median)} (${fmt(v.cpuPerRequest.min)}–${fmt(v.cpuPerRequest.max)}) | ${fmt(v.fibersPerRequest, 1)} | ${fmt(v.requestsPerSecond.median)} (${fmt(v.requestsPerSecond.min)}–${fmt(v.requestsPerSecond.max)}) | ${fmt(v.p50, 1)} | ${fmt(v.p99, 1)} | ${errorsText(v.errors)} | ${fmt(v.upstreamCallsPerRequest, 1)} |`
  const sortedRatios = [...r.cpuRatios].sort((a, b) => a - b)
  const cpuMet = r.cpuRatio <= 1
  const rpsMet = r.throughputRatio >= 1
  const floor = `The design of a channel stage in Effect alone — the transform as Effect's own concurrent ordered stage (\`Stream.mapEffect({ concurrency: ${PARSE_WORKERS} })\`), which hands each value over between fibers: effect-go ÷ that version ${r.cpuRatioToStream.toFixed(2)}× CPU/request.`
  return [
    `Crawler: ${r.clients} clients, ${KEYS_MIN}–${KEYS_MAX} keys per page, ${FETCH_LIMIT} fetches at once per request, ${FETCH_TIMEOUT_MS} ms timeout per fetch, dedup across requests, ${UPSTREAM_PERMITS} upstream permits, ordered parse of ${PARSE_WORKERS} at once; ${r.go.rounds} rounds of ${r.requestsPerRound} requests per version, alternating${r.quick ? " (quick)" : ""}.`,
    "",
    "| version | CPU µs/request, median (min–max) | fibers/request | requests/s, median (min–max) | p50 ms | p99 ms | failed requests | upstream calls/request |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    line(r.go),
    line(r.effect),
    line(r.effectStream),
    "",
    `effect-go ÷ Effect: CPU/request ${r.cpuRatio.toFixed(2)}× (per round pair ${fmt(percentile(sortedRatios, 0), 2)}–${fmt(sortedRatios[sortedRatios.length - 1]!, 2)}, median ${median(sortedRatios).toFixed(2)}) — target ≤ 1.0×: ${cpuMet ? "met" : "not met"}; throughput ${r.throughputRatio.toFixed(2)}× — target ≥ 1.0×: ${rpsMet ? "met" : "not met"}. ${r.sameOutcomes ? "All versions failed the same requests for the same reasons and computed the same results." : "Timeout counts differed in some round (see the log): a fetch that waits near the 50 ms mark (event loop busy, semaphore queue) times out on one side only."}`,
    "",
    floor
  ].join("\n")
}

// -----------------------------------------------------------------------------
// What bounds it, in place: the effect-go version with one part done Effect's way
// -----------------------------------------------------------------------------

/** The effect-go version with one part swapped (or none), measured in the same rounds as the others. */
export interface SwapResult {
  /** undefined: the effect-go version itself. */
  readonly swap: Swap | undefined
  readonly cpuPerRequest: number
  /** CPU µs per request of this version less the effect-go version's in the same round: median, and the middle half of the rounds. */
  readonly change: { readonly median: number; readonly q1: number; readonly q3: number }
  readonly fibersPerRequest: number
}

/**
 * Runs the effect-go version and each of its versions with one part done
 * plain Effect's way ({@link Swap}), in rounds in which each follows every
 * other equally often: what a part costs where it runs, among the others,
 * in a service that spends most of its time waiting for its upstream. A
 * version's change is taken round by round against the effect-go version
 * run in the same round, which spreads less than the versions' own figures
 * do between rounds.
 *
 * Only effect-go's versions take part: a version whose code is a small
 * share of what a process runs costs more than it does alone (in rounds
 * where six of seven versions were effect-go's, plain Effect measured
 * 1.1–1.5× its figure in the three-version rounds above, and effect-go
 * 0.73–0.88×),
 * so plain Effect is compared in the rounds above, where each version
 * runs as often as the others.
 */
export const swapRow = async (options: { readonly quick: boolean }): Promise<ReadonlyArray<SwapResult>> => {
  const perClient = options.quick ? 4 : 12
  const warmup = options.quick ? 1 : 2
  // Each of the 7 follows each other once every 7 rounds.
  const measured = options.quick ? 7 : 21
  const ways: ReadonlyArray<Swap | undefined> = [undefined, ...SWAPS]
  const cpu = ways.map(() => [] as Array<number>)
  const fibers = ways.map(() => [] as Array<number>)
  for (let round = 0; round < warmup + measured; round++) {
    const pages = makePages(1000 + round, perClient)
    for (const i of roundOrder(ways.length, round)) {
      const r = await runRound("effect-go", pages, ways[i])
      if (round < warmup) continue
      cpu[i]!.push(r.cpuMicros / r.requests)
      fibers[i]!.push(r.fibers / r.requests)
    }
  }
  return ways.map((swap, i) => {
    const changes = cpu[i]!.map((c, round) => c - cpu[0]![round]!).sort((a, b) => a - b)
    return {
      swap,
      cpuPerRequest: median(cpu[i]!),
      change: { median: median(changes), q1: percentile(changes, 25), q3: percentile(changes, 75) },
      fibersPerRequest: median(fibers[i]!)
    }
  })
}

/** The plain Effect way each swap puts in. */
const swapWay: Record<Swap, string> = {
  "fan-out": "`Effect.forEach({ concurrency: 4 })` for `ErrGroup.forEach({ limit: 4 })`",
  timeout: "`Effect.timeout` for `GoContext.runWithTimeout`",
  dedup: "`Cache` (`timeToLive: 0`) for `SingleFlight.do`",
  "upstream limit": "Effect's `Semaphore` for `Semaphore.Service`",
  "transform stage": "`Effect.forEach({ concurrency: 2 })` for `Pipeline.parallel({ workers: 2 })`",
  "three-stage pipeline":
    "a three-stage pipeline (`Pipeline.from` → `map({ workers: 2 })` → `collect`) for `Pipeline.parallel`"
}

/** The in-place table. */
export const swapMarkdown = (results: ReadonlyArray<SwapResult>): string => {
  const line = (r: SwapResult) =>
    r.swap === undefined
      ? `| effect-go | ${fmt(r.cpuPerRequest)} | — | ${fmt(r.fibersPerRequest, 1)} |`
      : `| effect-go, with ${swapWay[r.swap]} | ${fmt(r.cpuPerRequest)} | ${fmt(r.change.median)} (${fmt(r.change.q1)} to ${fmt(r.change.q3)}) | ${fmt(r.fibersPerRequest, 1)} |`
  return [
    "| version | CPU µs/request (median) | change from effect-go, same round: median (middle half of the rounds) | fibers/request |",
    "| --- | ---: | ---: | ---: |",
    ...results.map(line)
  ].join("\n")
}

// -----------------------------------------------------------------------------
// What bounds it: each part of a request against its plain Effect counterpart
// -----------------------------------------------------------------------------

/** One part of a request, both ways, measured side by side. */
export interface PartCost {
  readonly part: string
  readonly goWay: string
  readonly effectWay: string
  /** CPU µs per use: median over alternating rounds. */
  readonly go: number
  readonly effect: number
  /** The least any fiber-based way can cost, where one is measured (Effect's own concurrent stage). */
  readonly reference?: { readonly label: string; readonly micros: number } | undefined
}

const items12 = Array.from({ length: 12 }, (_, i) => `<item key="k${i}">${"x".repeat(40)}</item>`)
const yieldTask = Effect.yieldNow

/**
 * The parts of a request, each as the crawler uses it (12 keys, 4 fetches
 * at once, an ordered stage of 2), with work that suspends once (a zero
 * sleep or a yield) so that each costs its fibers and hand-offs, run 16 at
 * once as requests are.
 */
const parts = (): ReadonlyArray<{
  readonly part: string
  readonly goWay: string
  readonly effectWay: string
  readonly go: Effect.Effect<unknown, unknown>
  readonly effect: Effect.Effect<unknown, unknown>
  readonly reference?: { readonly label: string; readonly effect: Effect.Effect<unknown, unknown> }
}> => [
  {
    part: "ordered transform, 12 items, 2 workers",
    goWay: "Pipeline.parallel({ workers: 2 })",
    effectWay: "Effect.forEach({ concurrency: 2 })",
    go: Pipeline.parallel(items12, parse, { workers: 2 }),
    effect: Effect.forEach(items12, parse, { concurrency: 2 }),
    reference: {
      label: "Stream.mapEffect({ concurrency: 2 })",
      effect: Stream.runCollect(Stream.fromIterable(items12).pipe(Stream.mapEffect(parse, { concurrency: 2 })))
    }
  },
  {
    part: "the same as a three-stage pipeline (a channel stage)",
    goWay: "Pipeline.from → map({ workers: 2 }) → collect",
    effectWay: "Effect.forEach({ concurrency: 2 })",
    go: Effect.scoped(
      Pipeline.from(items12).pipe(
        Effect.flatMap(Pipeline.map(parse, { workers: 2, ordered: true })),
        Effect.flatMap(Pipeline.collect)
      )
    ),
    effect: Effect.forEach(items12, parse, { concurrency: 2 }),
    reference: {
      label: "Stream.mapEffect({ concurrency: 2 })",
      effect: Stream.runCollect(Stream.fromIterable(items12).pipe(Stream.mapEffect(parse, { concurrency: 2 })))
    }
  },
  {
    part: "per-fetch timeout (the fetch suspends once)",
    goWay: "GoContext.runWithTimeout",
    effectWay: "Effect.timeout",
    go: GoContext.runWithTimeout(Effect.sleep(0), FETCH_TIMEOUT_MS),
    effect: Effect.timeout(Effect.sleep(0), FETCH_TIMEOUT_MS)
  },
  {
    part: "a timeout context to keep, then a call under it",
    goWay: "GoContext.withTimeout + run, scoped",
    effectWay: "Effect.timeout",
    go: Effect.scoped(
      Effect.flatMap(GoContext.withTimeout(GoContext.background, FETCH_TIMEOUT_MS), ([ctx]) =>
        GoContext.run(ctx, Effect.sleep(0))
      )
    ),
    effect: Effect.timeout(Effect.sleep(0), FETCH_TIMEOUT_MS)
  },
  {
    part: "bounded fan-out over a list, 12 tasks, 4 at once (each yields once)",
    goWay: "ErrGroup.forEach({ limit: 4 })",
    effectWay: "Effect.forEach({ concurrency: 4 })",
    go: ErrGroup.forEach(items12, () => yieldTask, { limit: FETCH_LIMIT }),
    effect: Effect.forEach(items12, () => yieldTask, { concurrency: FETCH_LIMIT }),
    reference: {
      label: "a fiber per task: Effect.forEach({ concurrency: 'unbounded' })",
      effect: Effect.forEach(items12, () => yieldTask, { concurrency: "unbounded" })
    }
  },
  {
    part: "the same as a loop of `go` calls, each waiting for a slot in turn",
    goWay: "ErrGroup({ limit: 4 }) go × 12 + wait",
    effectWay: "Effect.forEach({ concurrency: 4 })",
    go: Effect.scoped(
      Effect.flatMap(ErrGroup.make({ limit: FETCH_LIMIT }), (g) =>
        Effect.andThen(
          Effect.forEach(items12, () => ErrGroup.go(g, yieldTask), { discard: true }),
          ErrGroup.wait(g)
        )
      )
    ),
    effect: Effect.forEach(items12, () => yieldTask, { concurrency: FETCH_LIMIT, discard: true }),
    // forEach with a concurrency runs the 12 tasks on 4 fibers; a group
    // forks one per task, as Go's errgroup starts a goroutine per Go call.
    reference: {
      label: "a fiber per task: Effect.forEach({ concurrency: 'unbounded' })",
      effect: Effect.forEach(items12, () => yieldTask, { concurrency: "unbounded", discard: true })
    }
  },
  {
    part: "dedup of a fetch, a miss (the fetch suspends once)",
    goWay: "SingleFlight.do",
    effectWay: "Cache.get (timeToLive: 0)",
    go: Effect.suspend(() => {
      const key = `k${dedupKeys++}`
      return SingleFlight.do(dedupFlights, key, Effect.as(Effect.sleep(0), key))
    }),
    effect: Effect.suspend(() => Cache.get(dedupCache, `k${dedupKeys++}`))
  }
]

/**
 * The dedup part's group and cache (they live as long as the process: a
 * benchmark's). Made by `runPromise`, not `runSync`: a `Cache` runs its
 * lookups with the services of the context it was made in, and `runSync`
 * puts its own scheduler there, which resumes a yield with a microtask
 * where the rest of the benchmark (and the service) takes a scheduler turn.
 */
const dedupFlights = await Effect.runPromise(Scope.provide(SingleFlight.make<string>(), Scope.makeUnsafe()))
const dedupCache = await Effect.runPromise(
  Cache.make({
    lookup: (key: string) => Effect.as(Effect.sleep(0), key),
    capacity: Number.POSITIVE_INFINITY,
    timeToLive: 0
  })
)
let dedupKeys = 0

/**
 * Measures each part both ways, in alternating rounds, in CPU µs per use: what a
 * request pays for each piece of effect-go over plain Effect.
 */
export const partCosts = async (options: { readonly quick: boolean }): Promise<ReadonlyArray<PartCost>> => {
  const uses = options.quick ? 2_000 : 5_000
  const rounds = options.quick ? 2 : 6
  const cost = async (effect: Effect.Effect<unknown, unknown>): Promise<number> => {
    const cpu0 = process.cpuUsage()
    await Effect.runPromise(
      Effect.forEach(Array.from({ length: uses }), () => Effect.ignore(effect), { concurrency: 16, discard: true })
    )
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / uses
  }
  const out: Array<PartCost> = []
  for (const p of parts()) {
    const go: Array<number> = []
    const eff: Array<number> = []
    const ref: Array<number> = []
    // One warm-up round each, then rounds in which each way follows each
    // other equally often (see `roundOrder`).
    const ways: Array<readonly [Effect.Effect<unknown, unknown>, Array<number>]> = [
      [p.go, go],
      [p.effect, eff]
    ]
    if (p.reference !== undefined) ways.push([p.reference.effect, ref])
    for (const [effect] of ways) await cost(effect)
    for (let r = 0; r < rounds; r++) {
      for (const i of roundOrder(ways.length, r)) {
        const [effect, out] = ways[i]!
        out.push(await cost(effect))
      }
    }
    out.push({
      part: p.part,
      goWay: p.goWay,
      effectWay: p.effectWay,
      go: median(go),
      effect: median(eff),
      reference: p.reference === undefined ? undefined : { label: p.reference.label, micros: median(ref) }
    })
  }
  return out
}

/** The parts as a markdown table. */
export const partsMarkdown = (costs: ReadonlyArray<PartCost>): string =>
  [
    "| part of a request | effect-go | CPU µs | plain Effect | CPU µs | ratio | Effect's own fiber-based way |",
    "| --- | --- | ---: | --- | ---: | ---: | --- |",
    ...costs.map(
      (c) =>
        `| ${c.part} | ${c.goWay} | ${fmt(c.go, 1)} | ${c.effectWay} | ${fmt(c.effect, 1)} | ${(c.go / c.effect).toFixed(2)}× | ${
          c.reference === undefined ? "—" : `${c.reference.label}: ${fmt(c.reference.micros, 1)} µs`
        } |`
    )
  ].join("\n")
