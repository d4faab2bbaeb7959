/**
 * See every blocked fiber, catch every deadlock: the diagnostics Go gives on
 * SIGQUIT and in "all goroutines are asleep — deadlock!", and more.
 *
 * effect-go knows, at every blocking point, which fiber waits on which
 * primitive since when, and who is in the way: the fiber that holds a
 * Mutex, the readers of an RWMutex, the fibers holding Semaphore permits
 * through `withPermits`, the tasks of a WaitGroup or an ErrGroup, the fiber
 * running a Once initializer or a SingleFlight flight. This module turns
 * that into:
 *
 * - {@link dump}: every fiber blocked on an effect-go primitive, grouped by
 *   primitive, as data ({@link Dump}, JSON-able), as text ({@link format},
 *   read like Go's goroutine dump) and as the wait-for graph in Mermaid
 *   ({@link toMermaid}), which renders in a GitHub issue or a README.
 * - {@link findDeadlocks}: the fibers that can provably never be woken —
 *   every wait-for cycle (a partial deadlock, as Java's
 *   `findDeadlockedThreads`), with the fibers blocked behind it, and every
 *   tracked region whose fibers are all asleep (Go's rule, for any region
 *   run under `FiberMonitor.track`, not only the whole program).
 * - {@link layer}: wires both into a program — the dump on a signal
 *   (SIGQUIT by default: the process goes on) and on demand, the detector
 *   every second and when Node is about to exit with fibers still blocked,
 *   reporting through the logger or failing the deadlocked fibers with a
 *   {@link DeadlockError}.
 * - Leaks the garbage collector proves: a primitive collected while fibers
 *   were parked on it proves they can never be woken; {@link collected}
 *   reports it ("Chan `jobs` was collected with 3 fibers blocked on recv"),
 *   and so do the dump and the layer.
 *
 * A fiber's name in these reports is its current span's name
 * (`Effect.withSpan`, `Effect.fn`), else its log annotation `fiber`
 * (`Effect.annotateLogs("fiber", "worker-1")`).
 *
 * What the detector cannot see, it never reports: a fiber sleeping on the
 * Clock, awaiting a Deferred, a promise or a join, or waiting on a channel
 * that some running fiber may still use is not deadlocked. A region is
 * asleep only when every one of its live fibers is parked on an effect-go
 * primitive; a fiber of the region awaiting anything else keeps it awake.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * declare const program: Effect.Effect<void>
 *
 * // SIGQUIT (kill -QUIT <pid>, Ctrl-\) prints the blocked fibers; a
 * // deadlock is logged within a second, with its wait-for cycle.
 * const main = program.pipe(Effect.provide(Diagnostics.layer()))
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { cycleIn, type Edge, fiberInfo, type Snapshot, type Seen, snapshot, stuckAmong } from "./internal/analysis.ts"
import { invalidArgument } from "./internal/copied.ts"
import { parseDuration } from "./internal/duration.ts"
import { activeRegions, countsFor, Region, serviceFor } from "./internal/regions.ts"
import { type Collected, onCollectedWithWaiters, takeCollected } from "./internal/registry.ts"
import { abandon, deferredWork } from "./internal/waiters.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * A fiber as the reports show it: its id and its name (current span name,
 * else log annotation `fiber`).
 *
 * @category models
 * @since 0.1.0
 */
export interface FiberInfo {
  readonly id: number
  readonly name: string | undefined
}

/**
 * A fiber blocked on a primitive.
 *
 * @category models
 * @since 0.1.0
 */
export interface BlockedOp {
  readonly fiber: FiberInfo
  /** What it does: "recv", "send", "lock", "rLock", "acquire(2)", "wait", "do", "select [recv "a" | after]"... */
  readonly op: string
  /** Clock time (ms) at which it blocked. */
  readonly since: number
  /** How long it has been blocked, in ms, at the time of the dump. */
  readonly waited: number
}

/**
 * A fiber in the way of a primitive's waiters, and what it does there.
 *
 * @category models
 * @since 0.1.0
 */
export interface HolderInfo {
  readonly fiber: FiberInfo
  /** "holds the lock", "reads", "holds 2 permits", "runs the initializer", "task"... */
  readonly role: string
}

/**
 * One primitive with fibers blocked on it.
 *
 * @category models
 * @since 0.1.0
 */
export interface PrimitiveDump {
  /** "Chan", "Mutex", "WaitGroup"... */
  readonly kind: string
  /** The `name` option it was made with. */
  readonly name: string | undefined
  /** Its observable state: a channel's capacity, length and closed flag, a WaitGroup's count... */
  readonly state: Readonly<Record<string, unknown>>
  readonly heldBy: ReadonlyArray<HolderInfo>
  readonly blocked: ReadonlyArray<BlockedOp>
}

/**
 * Every fiber blocked on an effect-go primitive, at one moment. Plain data:
 * `JSON.stringify` it, or read it with {@link format} / {@link toMermaid}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Dump {
  /** Clock time (ms) of the dump. */
  readonly at: number
  /** How many distinct fibers are blocked. */
  readonly fibers: number
  readonly primitives: ReadonlyArray<PrimitiveDump>
  /** Primitives garbage-collected with fibers parked on them, reported since the last dump or check. */
  readonly collected: ReadonlyArray<Collected>
  /** The fibers found deadlocked, when the dump belongs to a {@link Deadlock} (by id). */
  readonly deadlocked: ReadonlyArray<number>
}

/**
 * A deadlocked fiber: what it waits on, and the fibers it waits for.
 *
 * @category models
 * @since 0.1.0
 */
export interface DeadlockedFiber {
  readonly fiber: FiberInfo
  /** The primitives it is blocked on (several for a select). */
  readonly waitsOn: ReadonlyArray<{ readonly kind: string; readonly name: string | undefined; readonly op: string }>
  /** The fibers in its way (holders), if known. */
  readonly waitsFor: ReadonlyArray<FiberInfo>
}

/**
 * Fibers that can never be woken.
 *
 * - `"cycle"`: a wait-for cycle (fiber A holds what B waits for, B holds
 *   what A waits for...), with every fiber blocked behind it. Proved from
 *   the holders alone, wherever the fibers run.
 * - `"asleep"`: every live fiber of a tracked region is parked on effect-go
 *   primitives (Go's "all goroutines are asleep"), for the region named
 *   `region`; or, with `region` `"process"`, Node was about to exit with
 *   fibers still parked (nothing left that could wake them).
 *
 * @category models
 * @since 0.1.0
 */
export interface Deadlock {
  readonly kind: "cycle" | "asleep"
  /** The region (FiberMonitor name, or "process"), for `"asleep"`. */
  readonly region: string | undefined
  readonly fibers: ReadonlyArray<DeadlockedFiber>
  /** The cycle, as the fibers in order (the first waits for the second...), when there is one. */
  readonly cycle: ReadonlyArray<FiberInfo> | undefined
  /** The primitives involved, as in a {@link Dump}. */
  readonly dump: Dump
}

/**
 * The defect a deadlocked fiber dies with when the detector is set to fail
 * them (`Diagnostics.layer({ onDeadlock: "fail" })`, {@link failDeadlocked}):
 * its blocking operation dies with it, so the fiber's finalizers run and its
 * caller sees why. A defect: a deadlock is a programming error, which no
 * caller handles.
 *
 * @category errors
 * @since 0.1.0
 */
export class DeadlockError extends Data.TaggedError("DeadlockError")<{
  readonly deadlock: Deadlock
}> {
  override get message(): string {
    return formatDeadlock(this.deadlock)
  }
}

// -----------------------------------------------------------------------------
// Taking a dump
// -----------------------------------------------------------------------------

/** What `fiber`'s Clock reads now. */
const clockOf = (fiber: AnyFiber): number => fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()

const primitiveDump = (seen: Seen, infos: Map<AnyFiber, FiberInfo>): PrimitiveDump => {
  const info = (fiber: AnyFiber): FiberInfo => {
    let i = infos.get(fiber)
    if (i === undefined) infos.set(fiber, (i = fiberInfo(fiber)))
    return i
  }
  const d = seen.diagnosis
  return {
    kind: d.kind,
    name: d.name,
    state: d.state,
    heldBy: d.holders.map((h) => ({ fiber: info(h.fiber), role: h.role })),
    blocked: seen.blocked.map((b) => ({
      fiber: info(b.fiber),
      op: b.parker === b.node ? b.node.describe() : b.parker.describe(),
      since: b.node.since,
      // On the blocked fiber's own Clock (a TestClock, say), which `since` was read from.
      waited: Math.max(0, clockOf(b.fiber) - b.node.since)
    }))
  }
}

const dumpOf = (snap: Snapshot, at: number, only?: ReadonlySet<AnyFiber>): Dump => {
  const infos = new Map<AnyFiber, FiberInfo>()
  const primitives: Array<PrimitiveDump> = []
  for (const seen of snap.primitives) {
    if (only !== undefined && !seen.blocked.some((b) => only.has(b.fiber))) continue
    primitives.push(primitiveDump(seen, infos))
  }
  return {
    at,
    fibers: only === undefined ? snap.fibers.size : only.size,
    primitives,
    collected: takeCollected(),
    deadlocked: only === undefined ? [] : [...only].map((f) => f.id)
  }
}

/**
 * Every fiber blocked on an effect-go primitive, now: Go's goroutine dump
 * (`SIGQUIT`), for the library's primitives. Each primitive with waiters is
 * listed with its state, the fibers in the way and the blocked fibers (what
 * they do, since when). The per-primitive `blocked` functions
 * (`Chan.blocked`, `Mutex.blocked`...) show the same fibers for one
 * primitive.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const report = Effect.flatMap(Diagnostics.dump, (d) => Console.log(Diagnostics.format(d)))
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const dump: Effect.Effect<Dump> = Effect.withFiber((fiber) =>
  Exit.succeed(dumpOf(snapshot(), fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()))
)

// -----------------------------------------------------------------------------
// Finding deadlocks
// -----------------------------------------------------------------------------

/** Deadlocks found, with the parked nodes to fail (kept apart from the plain data). */
const parkedOf = new WeakMap<Deadlock, Array<AnyFiber>>()

const deadlockOf = (
  snap: Snapshot,
  stuck: ReadonlySet<AnyFiber>,
  kind: Deadlock["kind"],
  region: string | undefined,
  at: number
): Deadlock => {
  const d = dumpOf(snap, at, stuck)
  const infos = new Map<AnyFiber, FiberInfo>()
  const info = (fiber: AnyFiber): FiberInfo => {
    let i = infos.get(fiber)
    if (i === undefined) infos.set(fiber, (i = fiberInfo(fiber)))
    return i
  }
  const fibers: Array<DeadlockedFiber> = []
  for (const fiber of stuck) {
    const waits = snap.fibers.get(fiber) ?? []
    const waitsFor = new Set<AnyFiber>()
    for (const w of waits) {
      const wakers = w.queue.wakers
      if (wakers._tag === "AllOf" || wakers._tag === "OneOf") for (const f of wakers.fibers) waitsFor.add(f)
    }
    fibers.push({
      fiber: info(fiber),
      waitsOn: waits.map((w) => ({
        kind: w.primitive.diagnosis.kind,
        name: w.primitive.diagnosis.name,
        op: w.parker === w.node ? w.node.describe() : w.parker.describe()
      })),
      waitsFor: [...waitsFor].map(info)
    })
  }
  const edges: Array<Edge> | undefined = cycleIn(snap, stuck)
  const deadlock: Deadlock = {
    kind,
    region,
    fibers,
    cycle: edges?.map((e) => info(e.from)),
    dump: d
  }
  parkedOf.set(deadlock, [...stuck])
  return deadlock
}

const regionName = (region: Region): string => region.regionName ?? "unnamed region"

/** The deadlocks in `snap`: every stuck set (cycles and what is behind them), and every asleep region. */
const deadlocksIn = (snap: Snapshot, at: number): Array<Deadlock> => {
  const out: Array<Deadlock> = []
  // Work queued to wake fibers runs in no fiber: look again once it ran.
  if (snap.fibers.size === 0 || deferredWork > 0) return out
  const stuck = stuckAmong(snap, snap.fibers.keys(), () => true)
  if (stuck.size > 0) out.push(deadlockOf(snap, stuck, "cycle", undefined, at))
  for (const region of activeRegions()) {
    const parked: Array<AnyFiber> = []
    for (const fiber of snap.fibers.keys()) {
      if (!stuck.has(fiber) && countsFor(fiber.getRef(Metric.FiberRuntimeMetrics), region)) parked.push(fiber)
    }
    if (parked.length === 0) continue
    // Asleep: every live fiber of the region is parked (a cycle's fibers
    // were reported already and count as parked).
    let inCycle = 0
    for (const fiber of stuck) if (countsFor(fiber.getRef(Metric.FiberRuntimeMetrics), region)) inCycle++
    if (parked.length + inCycle !== region.live()) continue
    const asleep = stuckAmong(snap, parked, (s) => s.size < parked.length)
    if (asleep.size > 0) out.push(deadlockOf(snap, asleep, "asleep", regionName(region), at))
  }
  return out
}

/**
 * The deadlocks now: every set of fibers that can never be woken (see
 * {@link Deadlock}). Empty when there is none. Cheap when no fiber is
 * blocked; a snapshot of the blocked fibers otherwise.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const check = Effect.flatMap(Diagnostics.findDeadlocks, (found) =>
 *   Effect.forEach(found, (d) => Console.error(Diagnostics.formatDeadlock(d)))
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const findDeadlocks: Effect.Effect<ReadonlyArray<Deadlock>> = Effect.withFiber((fiber) =>
  Exit.succeed(deadlocksIn(snapshot(), fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()))
)

/**
 * Fails every fiber of `deadlock` that is still blocked as it was found:
 * its blocking operation dies with a {@link DeadlockError} carrying the
 * report (the fiber leaves the primitive's queue first, as an interrupted
 * one does). Returns how many fibers were failed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const breakAll = Effect.flatMap(Diagnostics.findDeadlocks, (found) => Effect.forEach(found, Diagnostics.failDeadlocked))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const failDeadlocked = (deadlock: Deadlock): Effect.Effect<number> => Effect.sync(() => failNow(deadlock))

const failNow = (deadlock: Deadlock): number => {
  const fibers = parkedOf.get(deadlock)
  if (fibers === undefined) return 0
  parkedOf.delete(deadlock)
  // Look again: a fiber may have been woken or interrupted since.
  const snap = snapshot()
  const error = new DeadlockError({ deadlock })
  const parkers = new Set<ReturnType<typeof snap.fibers.get> extends ReadonlyArray<infer B> | undefined ? B : never>()
  for (const fiber of fibers) for (const b of snap.fibers.get(fiber) ?? []) parkers.add(b)
  // Withdraw every node first, then resume: a failed fiber's finalizers
  // (releasing a lock) must not hand anything to another one being failed.
  let failed = 0
  const seen = new Set<unknown>()
  for (const b of parkers) {
    if (seen.has(b.parker)) continue
    seen.add(b.parker)
    if (abandon(b.parker, error)) failed++
  }
  return failed
}

// -----------------------------------------------------------------------------
// Formatting
// -----------------------------------------------------------------------------

const fiberLabel = (f: FiberInfo): string => (f.name === undefined ? `fiber #${f.id}` : `fiber #${f.id} "${f.name}"`)

const primitiveLabel = (kind: string, name: string | undefined): string =>
  name === undefined ? kind : `${kind} "${name}"`

const duration = (ms: number): string =>
  ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)}min`

/** `(capacity 0, len 0, closed)`: a true flag by its name, a false one left out, any other value after its key. */
const stateText = (state: Readonly<Record<string, unknown>>): string => {
  const parts: Array<string> = []
  for (const key in state) {
    const value = state[key]
    if (value === true) parts.push(key)
    else if (value !== false && value !== undefined)
      parts.push(`${key} ${typeof value === "string" ? value : JSON.stringify(value)}`)
  }
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`
}

const collectedText = (c: Collected): string => {
  const roles = Object.entries(c.waiting)
    .filter(([, n]) => n > 0)
    .map(([role, n]) => `${n} ${n === 1 ? "fiber" : "fibers"} blocked on ${role}`)
  const total = Object.values(c.waiting).reduce((n, k) => n + k, 0)
  return `${primitiveLabel(c.kind, c.name)} was garbage-collected with ${roles.join(", ")}: ${total === 1 ? "it" : "they"} can never be woken`
}

/**
 * A dump as text, grouped by primitive like Go's goroutine dump:
 *
 * ```text
 * effect-go: 2 fibers blocked on 1 primitive
 *
 * Mutex "accounts" (locked)
 *   held by fiber #12 "transfer": holds the lock
 *   fiber #14 "audit": lock, blocked 1.2s
 *   fiber #15: lock, blocked 0.9s
 * ```
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const printDump = Effect.flatMap(Diagnostics.dump, (d) => Console.error(Diagnostics.format(d)))
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const format = (dump: Dump): string => {
  const n = dump.primitives.length
  const lines = [
    `effect-go: ${dump.fibers} ${dump.fibers === 1 ? "fiber" : "fibers"} blocked on ${n} ${n === 1 ? "primitive" : "primitives"}`
  ]
  const deadlocked = new Set(dump.deadlocked)
  for (const p of dump.primitives) {
    lines.push("", `${primitiveLabel(p.kind, p.name)}${stateText(p.state)}`)
    for (const h of p.heldBy) lines.push(`  held by ${fiberLabel(h.fiber)}: ${h.role}`)
    for (const b of p.blocked) {
      const mark = deadlocked.has(b.fiber.id) ? " [deadlocked]" : ""
      lines.push(`  ${fiberLabel(b.fiber)}: ${b.op}, blocked ${duration(b.waited)}${mark}`)
    }
  }
  for (const c of dump.collected) lines.push("", collectedText(c))
  return lines.join("\n")
}

/**
 * A deadlock as text: what each fiber waits on and for whom, the cycle, and
 * the primitives involved.
 *
 * ```text
 * effect-go: deadlock! 2 fibers can never be woken (a wait-for cycle)
 *   fiber #5 "transfer a→b": lock on Mutex "b", waits for fiber #6
 *   fiber #6 "transfer b→a": lock on Mutex "a", waits for fiber #5
 *   cycle: #5 → #6 → #5
 * ```
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const report = Effect.flatMap(Diagnostics.findDeadlocks, (found) =>
 *   Effect.forEach(found, (d) => Console.error(Diagnostics.formatDeadlock(d)))
 * )
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatDeadlock = (deadlock: Deadlock): string => {
  const n = deadlock.fibers.length
  const what =
    deadlock.kind === "cycle"
      ? "a wait-for cycle"
      : deadlock.region === "process"
        ? "all fibers are asleep: nothing is left that could wake them"
        : `all fibers of region "${deadlock.region}" are asleep`
  const lines = [`effect-go: deadlock! ${n} ${n === 1 ? "fiber" : "fibers"} can never be woken (${what})`]
  for (const f of deadlock.fibers) {
    const on = f.waitsOn.map((w) => `${w.op} on ${primitiveLabel(w.kind, w.name)}`).join(", ")
    const forWhom = f.waitsFor.length === 0 ? "" : `, waits for ${f.waitsFor.map((w) => `#${w.id}`).join(", ")}`
    lines.push(`  ${fiberLabel(f.fiber)}: ${on}${forWhom}`)
  }
  if (deadlock.cycle !== undefined && deadlock.cycle.length > 0) {
    const ids = deadlock.cycle.map((f) => `#${f.id}`)
    lines.push(`  cycle: ${[...ids, ids[0]].join(" → ")}`)
  }
  lines.push("", ...format(deadlock.dump).split("\n").slice(2))
  return lines.join("\n")
}

const mermaidText = (s: string): string => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")

/**
 * The wait-for graph of a dump (or of a deadlock) as a Mermaid flowchart:
 * fibers are rounded nodes, primitives square ones; a solid arrow goes from
 * a blocked fiber to what it waits on (labelled with the operation), a
 * dotted one from a primitive to the fiber holding it. Deadlocked fibers are
 * drawn in red. Paste it into a ```mermaid block of a GitHub issue or a
 * README: a cycle is seen faster than read.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const graph = Effect.flatMap(Diagnostics.dump, (d) => Console.log(Diagnostics.toMermaid(d)))
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const toMermaid = (source: Dump | Deadlock): string => {
  const d = "primitives" in source ? source : source.dump
  const lines = ["flowchart LR"]
  const fibers = new Map<number, FiberInfo>()
  const edges: Array<string> = []
  d.primitives.forEach((p, i) => {
    const id = `p${i}`
    lines.push(`  ${id}["${mermaidText(primitiveLabel(p.kind, p.name))}"]`)
    for (const b of p.blocked) {
      fibers.set(b.fiber.id, b.fiber)
      edges.push(`  f${b.fiber.id} -- "${mermaidText(b.op)}" --> ${id}`)
    }
    for (const h of p.heldBy) {
      fibers.set(h.fiber.id, h.fiber)
      edges.push(`  ${id} -. "${mermaidText(h.role)}" .-> f${h.fiber.id}`)
    }
  })
  for (const f of fibers.values()) {
    lines.push(`  f${f.id}(["${mermaidText(f.name === undefined ? `#${f.id}` : `#${f.id} ${f.name}`)}"])`)
  }
  lines.push(...edges)
  if (d.deadlocked.length > 0) {
    lines.push("  classDef deadlocked stroke:#d00,stroke-width:3px,color:#d00")
    lines.push(`  class ${d.deadlocked.map((id) => `f${id}`).join(",")} deadlocked`)
  }
  return lines.join("\n")
}

// -----------------------------------------------------------------------------
// Leaks proved by the garbage collector
// -----------------------------------------------------------------------------

/**
 * The primitives garbage-collected with fibers parked on them since the
 * last call (or dump, or check): each proves that its fibers can never be
 * woken (Go 1.26's goroutine-leak profile finds the same by reachability).
 * Only fibers that nothing else references can be proved so: a fiber
 * forked with `forkChild` is referenced by its parent until the parent
 * ends, one forked into a scope by that scope until it closes.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * const report = Effect.flatMap(Diagnostics.collected, (found) =>
 *   Effect.forEach(found, (c) => Console.error(Diagnostics.formatCollected(c)))
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const collected: Effect.Effect<ReadonlyArray<Collected>> = Effect.sync(takeCollected)

/**
 * "Chan `jobs` was garbage-collected with 3 fibers blocked on recv: they can
 * never be woken".
 *
 * @example
 * ```ts
 * import { Diagnostics } from "effect-go"
 *
 * Diagnostics.formatCollected({ kind: "Chan", name: "jobs", waiting: { recv: 3 }, at: Date.now() })
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatCollected = (c: Collected): string => collectedText(c)

export type {
  /**
   * A primitive garbage-collected while fibers were parked on it: its kind,
   * name, and how many fibers waited in each role.
   *
   * @category models
   * @since 0.1.0
   */
  Collected
}

export type {
  /**
   * One fiber parked on a primitive, as each primitive's `blocked` returns
   * it (`Chan.blocked`, `Mutex.blocked`, ...): the primitive's kind and
   * name, the operation, the fiber's id, and since when (its Clock's
   * milliseconds).
   *
   * @category models
   * @since 0.1.0
   */
  BlockedFiber
} from "./internal/waiters.ts"

// -----------------------------------------------------------------------------
// The layer
// -----------------------------------------------------------------------------

/**
 * Options of {@link layer}.
 *
 * @category models
 * @since 0.1.0
 */
export interface LayerOptions {
  /**
   * The signal that prints the dump (Node only), or `false` for none.
   * Default `"SIGQUIT"`: Go's, and sent by Ctrl-\ in a terminal; Node uses
   * it for nothing, and a listener keeps it from killing the process
   * (SIGUSR1 starts Node's inspector; SIGUSR2 is what nodemon and Node's
   * `--report-on-signal` use).
   */
  readonly signal?: string | false | undefined
  /** How often the detector looks for deadlocks (default 1 second); `false`: only when Node is about to exit. */
  readonly interval?: Duration.Input | false | undefined
  /**
   * What the detector does with a deadlock: `"log"` (default) logs its
   * report as an error; `"fail"` also fails its fibers with
   * {@link DeadlockError}, so that the program ends with the report
   * instead of hanging.
   */
  readonly onDeadlock?: "log" | "fail" | undefined
  /** Names the program's region in reports (default "program"). */
  readonly name?: string | undefined
}

interface Settings {
  readonly signal: string | false
  readonly interval: number | false
  readonly onDeadlock: "log" | "fail"
  readonly name: string
}

const settingsOf = (options: unknown): Settings | Error => {
  if (options === undefined) return { signal: "SIGQUIT", interval: 1000, onDeadlock: "log", name: "program" }
  if (typeof options !== "object" || options === null)
    return invalidArgument("Diagnostics.layer", "an options object", options)
  const o = options as LayerOptions
  const signal = o.signal ?? "SIGQUIT"
  if (signal !== false && (typeof signal !== "string" || !/^SIG[A-Z0-9]+$/.test(signal)))
    return invalidArgument(
      "Diagnostics.layer",
      'a signal name such as "SIGQUIT", or false (the `signal` option)',
      signal
    )
  let interval: number | false = 1000
  if (o.interval === false) interval = false
  else if (o.interval !== undefined) {
    const d = parseDuration(o.interval, false)
    if (!Duration.isDuration(d))
      return invalidArgument(
        "Diagnostics.layer",
        `a positive duration (the \`interval\` option; ${d.reason})`,
        o.interval
      )
    const ms = Duration.toMillis(d)
    if (!Number.isFinite(ms))
      return invalidArgument("Diagnostics.layer", "a finite interval (the `interval` option)", o.interval)
    interval = ms
  }
  const onDeadlock = o.onDeadlock ?? "log"
  if (onDeadlock !== "log" && onDeadlock !== "fail")
    return invalidArgument("Diagnostics.layer", '"log" or "fail" (the `onDeadlock` option)', onDeadlock)
  const name = o.name ?? "program"
  if (typeof name !== "string") return invalidArgument("Diagnostics.layer", "a string (the `name` option)", name)
  return { signal, interval, onDeadlock, name }
}

/** Node's `process`, when there is one (the layer is also usable in a browser). */
const nodeProcess = (): NodeJS.Process | undefined => {
  const p = (globalThis as { process?: NodeJS.Process }).process
  return typeof p?.on === "function" ? p : undefined
}

/**
 * Diagnostics for a whole program, as a layer: provide it to the program's
 * main effect (or to a `ManagedRuntime`).
 *
 * - The dump on a signal (default SIGQUIT; see {@link LayerOptions}),
 *   printed with `Console.error`, as Go prints its goroutine dump.
 * - The deadlock detector: every `interval` (default 1 second; the timer
 *   does not keep the process alive) it looks for wait-for cycles and for
 *   tracked regions whose fibers are all asleep, the program's own region
 *   included; and when Node is about to exit because nothing is left to run
 *   while fibers are still parked (a plain `Effect.runPromise` program
 *   would exit silently), it reports that every fiber is asleep, as Go's
 *   "all goroutines are asleep — deadlock!", and sets the exit code to 2.
 *   A deadlock is reported once, with `Effect.logError` (its text and its
 *   Mermaid graph); with `onDeadlock: "fail"` its fibers then die with
 *   {@link DeadlockError}.
 * - Primitives garbage-collected with parked fibers are logged as they are
 *   found.
 *
 * Bad options are a defect of the layer, with a message naming the option.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diagnostics } from "effect-go"
 *
 * declare const program: Effect.Effect<void>
 *
 * const main = program.pipe(Effect.provide(Diagnostics.layer({ onDeadlock: "fail", interval: "5 seconds" })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: LayerOptions): Layer.Layer<never> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const settings = settingsOf(options)
      if (settings instanceof Error) return yield* Effect.die(settings)
      const context = yield* Effect.context<never>()
      const fiber = yield* Effect.withFiber((f) => Exit.succeed(f))
      const region = new Region(settings.name)
      const current = fiber.getRef(Metric.FiberRuntimeMetrics)
      // The fiber that builds the layer runs the program (`Effect.provide`):
      // a root of the program's region while the layer lives.
      region.enter(fiber)
      yield* Effect.addFinalizer(() => Effect.sync(() => region.leave(fiber)))

      const run = (effect: Effect.Effect<unknown>): void => {
        Effect.runForkWith(context)(effect)
      }
      const reported = new WeakSet<AnyFiber>()
      const act = (found: ReadonlyArray<Deadlock>): void => {
        for (const deadlock of found) {
          // Report each deadlocked fiber once.
          const fibers = parkedOf.get(deadlock) ?? []
          if (fibers.every((f) => reported.has(f))) continue
          for (const f of fibers) reported.add(f)
          run(
            Effect.logError(`${formatDeadlock(deadlock)}\n\n\`\`\`mermaid\n${toMermaid(deadlock)}\n\`\`\``).pipe(
              Effect.annotateLogs("effect-go", "deadlock")
            )
          )
          if (settings.onDeadlock === "fail") failNow(deadlock)
        }
      }
      const check = (now: number): void => {
        const snap = snapshot()
        if (snap.fibers.size === 0) return
        act(deadlocksIn(snap, now))
      }

      if (settings.interval !== false) {
        // A fiber on the Clock (a TestClock in tests), outside the program's
        // region, ended with the layer's scope.
        const every = Duration.millis(settings.interval)
        yield* Effect.forkScoped(
          Effect.forever(
            Effect.andThen(
              Effect.sleep(every),
              Effect.withFiber((f) => {
                check(f.getRef(Clock.Clock).currentTimeMillisUnsafe())
                return Exit.void
              })
            )
          )
        )
      }

      const stopCollected = onCollectedWithWaiters((c) =>
        run(Effect.logError(collectedText(c)).pipe(Effect.annotateLogs("effect-go", "leak")))
      )
      yield* Effect.addFinalizer(() => Effect.sync(stopCollected))

      const proc = nodeProcess()
      if (proc !== undefined) {
        if (settings.signal !== false) {
          const signal = settings.signal as NodeJS.Signals
          const onSignal = (): void => {
            run(Console.error(format(dumpOf(snapshot(), Date.now()))))
          }
          proc.on(signal, onSignal)
          yield* Effect.addFinalizer(() => Effect.sync(() => proc.off(signal, onSignal)))
        }
        // Node exits when nothing is left to run: whatever is still parked
        // then can never be woken.
        const beforeExit = (): void => {
          const snap = snapshot()
          if (snap.fibers.size === 0) return
          const asleep = new Set(snap.fibers.keys())
          const deadlock = deadlockOf(snap, asleep, "asleep", "process", Date.now())
          if (asleep.size > 0 && ![...asleep].every((f) => reported.has(f))) {
            proc.exitCode = 2
            act([deadlock])
          }
        }
        proc.on("beforeExit", beforeExit)
        yield* Effect.addFinalizer(() => Effect.sync(() => proc.off("beforeExit", beforeExit)))
      }
      return Context.make(Metric.FiberRuntimeMetrics, serviceFor(region, current))
    })
  ) as Layer.Layer<never>
