/**
 * Soak: 10M channel operations and 1M lock hand-offs, with the heap sampled
 * every second. The heap must come back to its starting level.
 *
 * The channel soak cycles through SPSC (cap 64), unbuffered ping-pong,
 * MPMC 4×4 (cap 64), select over 4 receive cases, and rounds of parked
 * receivers, senders and selects that are interrupted (the cancellation
 * paths, where a leak would hide). The lock soak runs 64 fibers contending a
 * Mutex with `withLock`, plus parked lockers that are interrupted.
 *
 * Two series are kept: `heapUsed` every second from a timer (garbage
 * included), and the heap after a full collection at most once a second at
 * a chunk boundary ("settled"). A leak shows as a settled series that keeps
 * rising; the verdict compares the settled heap at the end with the start.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Select from "../src/Select.ts"
import { collect, fmtInt, guard, mdTable, times } from "./harness.ts"
import { chanPingPong, drain, forkJoin } from "./rows.ts"

export interface SoakSample {
  readonly t: number
  readonly heap: number
}

export interface SoakResult {
  readonly name: string
  readonly ops: number
  readonly seconds: number
  readonly startHeap: number
  readonly endHeap: number
  readonly maxRaw: number
  readonly raw: ReadonlyArray<SoakSample>
  readonly settled: ReadonlyArray<SoakSample>
  /** Least-squares slope of the settled series over its second half, bytes per second. */
  readonly slope: number
  /** Set when a chunk hung (fibers parked forever). */
  readonly hung: string | undefined
}

const heapUsed = (): number => process.memoryUsage().heapUsed

/** Parks `k` fibers in `blockIn` (started at once) and interrupts them all. */
const parkAndInterrupt = (k: number, blockIn: Effect.Effect<unknown, unknown>): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.all(Array.from({ length: k }, () => Effect.forkChild(blockIn, { startImmediately: true }))),
    (fibers) => Fiber.interruptAll(fibers)
  )

// Each phase returns the number of channel operations (sends + receives) it completed.
const spsc = (items: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(64)
    const producer = Effect.andThen(
      times(items, (i) => Chan.send(ch, i)),
      Chan.close(ch)
    )
    return Effect.as(
      Effect.flatMap(Effect.forkChild(producer), (p) => Effect.andThen(drain(ch), Fiber.join(p))),
      2 * items
    )
  })

const pingPong = (trips: number) => Effect.as(chanPingPong(trips), 4 * trips)

const mpmc = (items: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(64)
    const per = Math.floor(items / 4)
    return Effect.as(
      Effect.flatMap(Effect.all(Array.from({ length: 4 }, () => Effect.forkChild(drain(ch)))), (consumers) =>
        Effect.andThen(
          forkJoin(4, () => times(per, (i) => Chan.send(ch, i))),
          Effect.andThen(Chan.close(ch), Fiber.joinAll(consumers))
        )
      ),
      2 * 4 * per
    )
  })

const select4 = (items: number) =>
  Effect.suspend(() => {
    const chs = Array.from({ length: 4 }, () => Chan.makeUnsafe<number>(16))
    const producer = times(items, (i) => Chan.send(chs[i & 3]!, i))
    const sel = Select.select(Select.recv(chs[0]!), Select.recv(chs[1]!), Select.recv(chs[2]!), Select.recv(chs[3]!))
    return Effect.as(
      Effect.flatMap(Effect.forkChild(producer), (p) =>
        Effect.andThen(
          times(items, () => sel),
          Fiber.join(p)
        )
      ),
      2 * items
    )
  })

const cancellations = (k: number) =>
  Effect.suspend(() => {
    const unbuffered = Chan.makeUnsafe<number>(0)
    const full = Chan.makeUnsafe<number>(1)
    Effect.runSync(Chan.trySend(full, 0))
    const a = Chan.makeUnsafe<number>(4)
    const b = Chan.makeUnsafe<number>(4)
    return Effect.as(
      Effect.all([
        parkAndInterrupt(k, Chan.recv(unbuffered)),
        parkAndInterrupt(k, Chan.send(unbuffered, 1)),
        parkAndInterrupt(k, Chan.send(full, 1)),
        parkAndInterrupt(k, Select.select(Select.recv(a), Select.recv(b), Select.send(unbuffered, 2)))
      ]),
      0
    )
  })

const channelChunk = (chunk: number) =>
  Effect.map(
    Effect.all([spsc(chunk), pingPong(chunk / 10), mpmc(chunk), select4(chunk / 2), cancellations(1000)]),
    (ops) => ops.reduce((a, b) => a + b, 0)
  )

const lockChunk = (locks: number) =>
  Effect.suspend(() => {
    const mu = Mutex.makeUnsafe()
    let counter = 0
    const step = Mutex.withLock(mu)(Effect.sync(() => counter++))
    const per = Math.floor(locks / 64)
    const contended = forkJoin(64, () => times(per, () => step))
    // Lockers parked behind a held lock, then interrupted.
    const cancelled = Effect.andThen(
      Mutex.lock(mu),
      Effect.andThen(parkAndInterrupt(1000, Mutex.lock(mu)), Mutex.unlock(mu))
    )
    return Effect.as(Effect.andThen(contended, cancelled), 64 * per)
  })

const slope = (xs: ReadonlyArray<SoakSample>): number => {
  const half = xs.slice(Math.floor(xs.length / 2))
  if (half.length < 2) return 0
  const mt = half.reduce((a, s) => a + s.t, 0) / half.length
  const mh = half.reduce((a, s) => a + s.heap, 0) / half.length
  let num = 0
  let den = 0
  for (const s of half) {
    num += (s.t - mt) * (s.heap - mh)
    den += (s.t - mt) ** 2
  }
  return den === 0 ? 0 : num / den
}

const soak = async (
  name: string,
  target: number,
  chunk: number,
  runChunk: (chunk: number) => Effect.Effect<number, unknown>,
  log: (line: string) => void
): Promise<SoakResult> => {
  collect()
  const startHeap = heapUsed()
  const t0 = performance.now()
  const raw: Array<SoakSample> = [{ t: 0, heap: startHeap }]
  const settled: Array<SoakSample> = [{ t: 0, heap: startHeap }]
  const timer = setInterval(() => raw.push({ t: (performance.now() - t0) / 1000, heap: heapUsed() }), 1000)
  let ops = 0
  let lastSettled = 0
  let hung: string | undefined
  try {
    while (ops < target) {
      ops += await guard(Effect.runPromise(runChunk(chunk)), `${name} soak chunk after ${fmtInt(ops)} ops`)
      const t = (performance.now() - t0) / 1000
      if (t - lastSettled >= 1) {
        lastSettled = t
        collect()
        settled.push({ t, heap: heapUsed() })
        log(`  ${name}: ${fmtInt(ops)} ops, ${t.toFixed(0)} s, settled heap ${(heapUsed() / 1e6).toFixed(1)} MB`)
      }
    }
  } catch (error) {
    hung = error instanceof Error ? error.message : String(error)
    log(`  ${name}: ${hung}`)
  } finally {
    clearInterval(timer)
  }
  collect()
  const endHeap = heapUsed()
  const seconds = (performance.now() - t0) / 1000
  settled.push({ t: seconds, heap: endHeap })
  return {
    name,
    ops,
    seconds,
    startHeap,
    endHeap,
    maxRaw: Math.max(...raw.map((s) => s.heap)),
    raw,
    settled,
    slope: slope(settled),
    hung
  }
}

export const runSoak = async (log: (line: string) => void, scale = 1): Promise<Array<SoakResult>> => {
  const results: Array<SoakResult> = []
  log(`Soak: ${fmtInt(10_000_000 * scale)} channel operations`)
  results.push(await soak("channels", 10_000_000 * scale, 20_000, channelChunk, log))
  log(`Soak: ${fmtInt(1_000_000 * scale)} lock hand-offs`)
  results.push(await soak("mutex", 1_000_000 * scale, 64_000, lockChunk, log))
  return results
}

const mb = (b: number): string => `${(b / 1e6).toFixed(2)} MB`

export const soakMarkdown = (results: ReadonlyArray<SoakResult>): string => {
  const summary = mdTable(
    [
      "soak",
      "ops",
      "time",
      "ops/s",
      "heap at start",
      "peak (raw)",
      "heap at end",
      "end − start",
      "settled slope (2nd half)",
      "verdict"
    ],
    results.map((r) => {
      const delta = r.endHeap - r.startHeap
      // Back to its starting level: within 1 MB, or 5% of the start.
      const ok = Math.abs(delta) <= Math.max(1e6, 0.05 * r.startHeap)
      return [
        r.name,
        fmtInt(r.ops),
        `${r.seconds.toFixed(1)} s`,
        fmtInt(Math.round(r.ops / r.seconds)),
        mb(r.startHeap),
        mb(r.maxRaw),
        mb(r.endHeap),
        `${delta >= 0 ? "+" : ""}${(delta / 1e3).toFixed(0)} kB`,
        `${(r.slope / 1e3).toFixed(1)} kB/s`,
        r.hung !== undefined ? `HUNG after ${fmtInt(r.ops)} ops` : ok ? "no leak" : "HEAP DID NOT RETURN"
      ]
    })
  )
  const series = results
    .map(
      (r) =>
        `**${r.name}** — heap after a full GC (settled), MB, about once a second:\n\n` +
        "```\n" +
        r.settled.map((s) => `${s.t.toFixed(0).padStart(4)} s  ${(s.heap / 1e6).toFixed(2)}`).join("\n") +
        "\n```\n\n" +
        `raw heapUsed every second (MB): ${r.raw.map((s) => (s.heap / 1e6).toFixed(1)).join(", ")}` +
        (r.hung !== undefined ? `\n\n${r.hung}` : "")
    )
    .join("\n\n")
  return `${summary}\n\n${series}\n`
}
