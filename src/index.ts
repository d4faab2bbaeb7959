/**
 * effect-go: Go's concurrency toolkit on Effect 4.
 *
 * Each module is re-exported as a namespace, named after its Go counterpart:
 *
 * ```ts
 * import { Chan, Mutex, Select } from "effect-go"
 * ```
 *
 * @since 0.1.0
 */
/**
 * Go's channels: `make(chan T, n)`, send, receive, close, range.
 *
 * @since 0.1.0
 */
export * as Chan from "./Chan.ts"
/**
 * Blocked-fiber dumps, deadlock detection and collected-with-waiters leak
 * reports over every effect-go primitive.
 *
 * @since 0.1.0
 */
export * as Diagnostics from "./Diagnostics.ts"
/**
 * Go's `sync.Cond`: wait for a condition under a Mutex; signal, broadcast.
 *
 * @since 0.1.0
 */
export * as Cond from "./Cond.ts"
/**
 * Go's `errgroup.Group`: run tasks, the first failure cancels the rest, wait joins them.
 *
 * @since 0.1.0
 */
export * as ErrGroup from "./ErrGroup.ts"
/**
 * Jobs on other threads: a Schema-typed task served by a set of threads,
 * for WorkerPool, Pipeline and ErrGroup (the Node platform is
 * `effect-go/NodeThreads`).
 *
 * @since 0.1.0
 */
export * as Threads from "./Threads.ts"
/**
 * Counting live fibers: Go's `runtime.NumGoroutine()`.
 *
 * @since 0.1.0
 */
export * as FiberMonitor from "./FiberMonitor.ts"
/**
 * Go's `context.Context`: cancellation, deadlines and request-scoped values.
 *
 * @since 0.1.0
 */
export * as GoContext from "./GoContext.ts"
/**
 * Go's `sync.Mutex`: lock, unlock, withLock.
 *
 * @since 0.1.0
 */
export * as Mutex from "./Mutex.ts"
/**
 * Go's `sync.Once`: run an initializer exactly once.
 *
 * @since 0.1.0
 */
export * as Once from "./Once.ts"
/**
 * Go's pipeline patterns: generate, stages, fan-out, fan-in over channels.
 *
 * @since 0.1.0
 */
export * as Pipeline from "./Pipeline.ts"
/**
 * Go's `golang.org/x/time/rate`: a token-bucket `Limiter` with `allow`,
 * `reserve` and an interruptible `wait`, on Effect's Clock.
 *
 * @since 0.1.0
 */
export * as Rate from "./Rate.ts"
/**
 * Go's `sync.RWMutex`: many readers or one writer.
 *
 * @since 0.1.0
 */
export * as RWMutex from "./RWMutex.ts"
/**
 * The same Semaphore and Mutex across processes, kept in Redis through
 * Effect's own `Redis` service: a Layer swap.
 *
 * @since 0.1.0
 */
export * as RedisSync from "./RedisSync.ts"
/**
 * Go's `select`: wait on several channel operations, a timeout or a default.
 *
 * @since 0.1.0
 */
export * as Select from "./Select.ts"
/**
 * Go's `semaphore.Weighted`: acquire and release weighted permits.
 *
 * @since 0.1.0
 */
export * as Semaphore from "./Semaphore.ts"
/**
 * Go's `singleflight.Group`: one call per key in flight, shared by its callers.
 *
 * @since 0.1.0
 */
export * as SingleFlight from "./SingleFlight.ts"
/**
 * Wait-time histograms and wait spans from every primitive, through
 * Effect's `Metric` and `Tracer`; off unless its layer is provided.
 *
 * @since 0.1.0
 */
export * as Telemetry from "./Telemetry.ts"
/**
 * A testing kit: goleak's leak check, assertions over blocked fibers and
 * deadlocks, and a seeded schedule explorer (`effect-go/vitest` wires it
 * into `@effect/vitest`).
 *
 * @since 0.1.0
 */
export * as Testing from "./Testing.ts"
/**
 * Go's `time.Ticker`: a channel that ticks at an interval.
 *
 * @since 0.1.0
 */
export * as Ticker from "./Ticker.ts"
/**
 * Go's `time.Timer`: a channel that fires once after a duration; stop, reset.
 *
 * @since 0.1.0
 */
export * as Timer from "./Timer.ts"
/**
 * Go's `sync.WaitGroup`: wait for a collection of tasks to finish.
 *
 * @since 0.1.0
 */
export * as WaitGroup from "./WaitGroup.ts"
/**
 * A fixed pool of workers serving submitted jobs, Go's worker-pool pattern.
 *
 * @since 0.1.0
 */
export * as WorkerPool from "./WorkerPool.ts"

export {
  /**
   * The defect a copied (spread, `Object.assign`) primitive dies with: Go's copylocks.
   *
   * @category errors
   * @since 0.1.0
   */
  CopiedPrimitiveError
} from "./internal/copied.ts"

export {
  /**
   * The defect a bad argument dies with (not a primitive, an Effect, a function, an iterable where one is wanted).
   *
   * @category errors
   * @since 0.1.0
   */
  InvalidArgumentError
} from "./internal/copied.ts"
