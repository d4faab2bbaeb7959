/**
 * What a contestant of the Redis lock benchmark (peers.ts) provides: a
 * module under contestants/ whose default export is a {@link Contestant}.
 * child.ts loads it in a process of its own and drives it; the benchmark
 * runs two or three such processes against one private redis-server.
 *
 * A lock is driven through `withLock(body)`: acquire, run `body`, release
 * (also when `body` fails), the shape every library documents first
 * (redlock's `using`, effect-distributed-lock's `withPermits`, effect-go's
 * `withLock`/`withPermits`). `fromAcquireRelease` adapts a library whose
 * API is a pair of calls, and `effectContestant` one whose API is Effect 4
 * effects (run through a ManagedRuntime built from the contestant's layer).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"

/** One lock, or one semaphore handing out one permit per `withLock`. */
export interface Lock {
  /** Acquires (waiting as long as the library waits), runs `body`, releases. */
  readonly withLock: <A>(body: () => Promise<A>) => Promise<A>
}

/** A contestant connected to one Redis server, in one process. */
export interface Peer {
  /** A mutual-exclusion lock named `name` (every process naming it shares it). */
  readonly mutex: (name: string) => Promise<Lock>
  /** A counting semaphore of `permits` named `name`, or `undefined` when the library has none. */
  readonly semaphore: ((name: string, permits: number) => Promise<Lock>) | undefined
  /** Releases connections, so that the process can exit. */
  readonly close: () => Promise<void>
}

export interface Contestant {
  /** The name in the tables, with the version (`redlock 5.0.0-beta.2`). */
  readonly name: string
  /** What a reader should know: defaults used, how waiting works. */
  readonly notes: string
  /** Connects to the Redis server at `url` (`redis://127.0.0.1:PORT`). */
  readonly connect: (url: string) => Promise<Peer>
}

/** A {@link Lock} over a library that acquires and releases in two calls. */
export const fromAcquireRelease = <H>(acquire: () => Promise<H>, release: (held: H) => Promise<unknown>): Lock => ({
  withLock: async (body) => {
    const held = await acquire()
    try {
      return await body()
    } finally {
      await release(held)
    }
  }
})

/** A lock of an Effect 4 library: `withLock(effect)` runs `effect` holding it. */
export interface EffectLock {
  readonly withLock: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, unknown>
}

/**
 * A {@link Contestant} over an Effect 4 library: its services come from
 * `layer(url)`; `mutex`/`semaphore` make a lock (in a scope that lives
 * until `close`). Each `withLock` is one `runPromise` of
 * `lock.withLock(Effect.promise(body))`.
 */
export const effectContestant = <R, ER>(spec: {
  readonly name: string
  readonly notes: string
  readonly layer: (url: string) => Layer.Layer<R, ER>
  readonly mutex: (name: string) => Effect.Effect<EffectLock, unknown, R | Scope.Scope>
  readonly semaphore?: (name: string, permits: number) => Effect.Effect<EffectLock, unknown, R | Scope.Scope>
}): Contestant => ({
  name: spec.name,
  notes: spec.notes,
  connect: async (url) => {
    const runtime = ManagedRuntime.make(spec.layer(url))
    const scope = Scope.makeUnsafe()
    const lockOf = async (make: Effect.Effect<EffectLock, unknown, R | Scope.Scope>): Promise<Lock> => {
      const lock = await runtime.runPromise(Scope.provide(make, scope))
      return { withLock: (body) => runtime.runPromise(lock.withLock(Effect.promise(body))) }
    }
    const semaphore = spec.semaphore
    return {
      mutex: (name) => lockOf(spec.mutex(name)),
      semaphore: semaphore === undefined ? undefined : (name, permits) => lockOf(semaphore(name, permits)),
      close: async () => {
        await runtime.runPromise(Scope.close(scope, Exit.void))
        await runtime.dispose()
      }
    }
  }
})

/**
 * Now, in microseconds, on a clock that every process of this machine shares:
 * `process.hrtime` reads CLOCK_MONOTONIC, one system-wide clock, never
 * stepped, so a time taken in one process can be subtracted from a time taken
 * in another. (`performance.now()` counts from each process's own start;
 * `performance.timeOrigin` is the wall clock read once at that start, and NTP
 * may slew the wall clock by up to 0.5 ms per second, or step it, between two
 * processes' starts: more than a hand-off takes.)
 */
export const now = (): number => Number(process.hrtime.bigint()) / 1e3
