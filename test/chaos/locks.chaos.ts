/**
 * Locks model for the schedule explorer: Mutex, RWMutex, Semaphore and Cond,
 * each used by 1 to 6 workers through every way in (the `with*` helpers,
 * manual acquire/release, the `try*` forms), with operations and whole
 * workers interrupted at seeded points. A run uses a seeded subset of the
 * four primitives.
 *
 * Manual use follows the pattern a user relies on: the release is installed
 * only if the acquisition returned,
 * `uninterruptibleMask((restore) => restore(lock).pipe(andThen(restore(body).pipe(ensuring(unlock)))))`,
 * so an acquisition that reports interruption must hold nothing.
 *
 * Invariants:
 * - exclusion is never broken: the holders inside each critical section are
 *   counted (Mutex: at most one; RWMutex: one writer and no reader, or
 *   readers only; Semaphore: permits held never above its size);
 * - at the end, everything is free again: the Mutex and RWMutex can be
 *   locked at once, the RWMutex has no reader, the Semaphore has all its
 *   permits, and no fiber is left in any `blocked` dump;
 * - Cond: the tokens produced equal the tokens consumed plus those left, a
 *   token count never goes negative, and no consumer stays parked while a
 *   token waits for it (a lost signal), checked once the run has settled.
 * A lost wake-up that leaves every fiber parked is a deadlock, which the
 * explorer detects on its own.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Cond from "../../src/Cond.ts"
import type { Chaos, ChaosViolation } from "../../src/internal/explore.ts"
import * as Mutex from "../../src/Mutex.ts"
import * as RWMutex from "../../src/RWMutex.ts"
import * as Semaphore from "../../src/Semaphore.ts"

/** The locks model: see the module documentation. */
export const locksModel = (chaos: Chaos): Effect.Effect<void, ChaosViolation, Scope.Scope> =>
  Effect.gen(function* () {
    const violations: Array<string> = []
    const pInterruptOp = chaos.pick([0, 0.05, 0.2, 0.5])
    const maybeInterrupted = (op: Effect.Effect<void>): Effect.Effect<void> =>
      Effect.suspend(() =>
        chaos.chance(pInterruptOp)
          ? Effect.flatMap(Effect.forkChild(op), (fiber) =>
              Effect.andThen(chaos.interruptLater(fiber), Effect.asVoid(Fiber.await(fiber)))
            )
          : op
      )
    /** A critical section: `enter` and `leave` bracket a few seeded yields, uninterruptibly paired. */
    const critical = (enter: () => void, leave: () => void): Effect.Effect<void> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.sync(enter).pipe(Effect.andThen(restore(chaos.yields(3))), Effect.ensuring(Effect.sync(leave)))
      )
    /** Acquire, then the body and the release only if the acquisition returned. */
    const manual = (acquire: Effect.Effect<void>, body: Effect.Effect<void>, release: Effect.Effect<void>) =>
      Effect.uninterruptibleMask((restore) =>
        restore(acquire).pipe(Effect.andThen(restore(body).pipe(Effect.ensuring(release))))
      )
    const tried = (attempt: Effect.Effect<boolean>, body: Effect.Effect<void>, release: Effect.Effect<void>) =>
      Effect.uninterruptibleMask((restore) =>
        restore(attempt).pipe(
          Effect.flatMap((ok) => {
            chaos.count()
            return ok ? restore(body).pipe(Effect.ensuring(release)) : Effect.void
          })
        )
      )
    const workers: Array<Fiber.Fiber<void>> = []
    const ends: Array<Effect.Effect<void>> = []
    const worker = (rounds: number, step: () => Effect.Effect<void>) =>
      Effect.forkChild(
        Effect.suspend(() => {
          let i = 0
          return Effect.whileLoop({
            while: () => i++ < rounds,
            body: () =>
              maybeInterrupted(
                Effect.suspend(() => {
                  chaos.count()
                  return step()
                })
              ),
            step: () => {}
          })
        })
      ).pipe(Effect.tap((fiber) => Effect.sync(() => workers.push(fiber))))

    const kinds = (["mutex", "rwmutex", "semaphore", "cond"] as const).filter(() => chaos.chance(0.6))
    if (kinds.length === 0) kinds.push(chaos.pick(["mutex", "rwmutex", "semaphore", "cond"] as const))
    chaos.trace(`${kinds.join(",")} p${pInterruptOp}`)
    chaos.note("primitives", () => kinds.join(", "))

    // ------------------------------------------------------------------ Mutex
    if (kinds.includes("mutex")) {
      const mu = yield* Mutex.make({ name: "mu" })
      let holders = 0
      const body = critical(
        () => {
          if (++holders > 1) violations.push(`Mutex: ${holders} holders at once`)
          chaos.trace("m+")
        },
        () => {
          holders--
          chaos.trace("m-")
        }
      )
      const n = chaos.between(1, 6)
      for (let w = 0; w < n; w++) {
        yield* worker(chaos.between(10, 60), () => {
          const kind = chaos.int(3)
          chaos.trace(`m${"wlt"[kind]}${w}`)
          return kind === 0
            ? Mutex.withLock(mu)(body)
            : kind === 1
              ? manual(Mutex.lock(mu), body, Mutex.unlock(mu))
              : tried(Mutex.tryLock(mu), body, Mutex.unlock(mu))
        })
      }
      chaos.note(
        "mutex",
        () =>
          `${Effect.runSync(Mutex.isLocked(mu)) ? "locked" : "unlocked"}, ${holders} holder(s), ${Effect.runSync(Mutex.blocked(mu)).length} waiter(s)`
      )
      ends.push(
        Effect.gen(function* () {
          const waiters = yield* Mutex.blocked(mu)
          if (waiters.length > 0)
            violations.push(`Mutex: ${waiters.length} waiter(s) left: ${waiters.map((w) => w.op).join(", ")}`)
          if (holders !== 0) violations.push(`Mutex: ${holders} holder(s) left in the critical section`)
          if (yield* Mutex.tryLock(mu)) yield* Mutex.unlock(mu)
          else violations.push("Mutex: still locked after every worker ended (a lock leaked)")
        })
      )
    }

    // ---------------------------------------------------------------- RWMutex
    if (kinds.includes("rwmutex")) {
      const rw = yield* RWMutex.make({ name: "rw" })
      let readers = 0
      let writers = 0
      const read = critical(
        () => {
          readers++
          if (writers > 0) violations.push(`RWMutex: a reader entered while ${writers} writer(s) held the lock`)
          chaos.trace("r+")
        },
        () => {
          readers--
          chaos.trace("r-")
        }
      )
      const write = critical(
        () => {
          writers++
          if (writers > 1 || readers > 0)
            violations.push(`RWMutex: a writer entered beside ${writers - 1} writer(s) and ${readers} reader(s)`)
          chaos.trace("w+")
        },
        () => {
          writers--
          chaos.trace("w-")
        }
      )
      const n = chaos.between(1, 6)
      for (let w = 0; w < n; w++) {
        yield* worker(chaos.between(10, 60), () => {
          const kind = chaos.int(6)
          chaos.trace(`rw${kind}.${w}`)
          switch (kind) {
            case 0:
              return RWMutex.withRLock(rw)(read)
            case 1:
              return manual(RWMutex.rLock(rw), read, RWMutex.rUnlock(rw))
            case 2:
              return tried(RWMutex.tryRLock(rw), read, RWMutex.rUnlock(rw))
            case 3:
              return RWMutex.withLock(rw)(write)
            case 4:
              return manual(RWMutex.lock(rw), write, RWMutex.unlock(rw))
            default:
              return tried(RWMutex.tryLock(rw), write, RWMutex.unlock(rw))
          }
        })
      }
      chaos.note(
        "rwmutex",
        () =>
          `${Effect.runSync(RWMutex.isLocked(rw)) ? "write-locked" : "not write-locked"}, reader count ${Effect.runSync(RWMutex.readerCount(rw))}, ` +
          `${readers} reader(s) and ${writers} writer(s) inside, waiting: ${Effect.runSync(RWMutex.blocked(rw))
            .map((b) => b.op)
            .join(", ")}`
      )
      ends.push(
        Effect.gen(function* () {
          const waiters = yield* RWMutex.blocked(rw)
          if (waiters.length > 0)
            violations.push(`RWMutex: ${waiters.length} waiter(s) left: ${waiters.map((w) => w.op).join(", ")}`)
          if (readers !== 0 || writers !== 0)
            violations.push(`RWMutex: ${readers} reader(s) and ${writers} writer(s) left inside`)
          const count = yield* RWMutex.readerCount(rw)
          if (count !== 0)
            violations.push(`RWMutex: reader count ${count} after every worker ended (a read lock leaked)`)
          if (yield* RWMutex.tryLock(rw)) yield* RWMutex.unlock(rw)
          else violations.push("RWMutex: cannot be locked after every worker ended (a lock leaked)")
        })
      )
    }

    // -------------------------------------------------------------- Semaphore
    if (kinds.includes("semaphore")) {
      const size = chaos.between(1, 5)
      const sem = yield* Semaphore.make(size, { name: "sem" })
      let held = 0
      const body = (n: number) =>
        critical(
          () => {
            held += n
            if (held > size) violations.push(`Semaphore: ${held} permits held of ${size}`)
            chaos.trace(`s+${n}`)
          },
          () => {
            held -= n
            chaos.trace(`s-${n}`)
          }
        )
      const n = chaos.between(1, 6)
      for (let w = 0; w < n; w++) {
        yield* worker(chaos.between(10, 60), () => {
          const permits = chaos.between(1, size)
          const kind = chaos.int(3)
          return Effect.orDie(
            kind === 0
              ? Semaphore.withPermits(sem, permits)(body(permits))
              : kind === 1
                ? manual(Semaphore.acquire(sem, permits), body(permits), Semaphore.release(sem, permits))
                : tried(Semaphore.tryAcquire(sem, permits), body(permits), Semaphore.release(sem, permits))
          )
        })
      }
      chaos.note(
        "semaphore",
        () =>
          `size ${size}, ${held} held inside, ${Effect.runSync(Semaphore.available(sem))} available, ${Effect.runSync(Semaphore.blocked(sem)).length} waiter(s)`
      )
      ends.push(
        Effect.gen(function* () {
          const waiters = yield* Semaphore.blocked(sem)
          if (waiters.length > 0)
            violations.push(`Semaphore: ${waiters.length} waiter(s) left: ${waiters.map((w) => w.op).join(", ")}`)
          if (held !== 0) violations.push(`Semaphore: ${held} permit(s) held inside after every worker ended`)
          const available = yield* Semaphore.available(sem)
          if (available !== size)
            violations.push(
              `Semaphore: ${available} of ${size} permits available after every worker ended (permits leaked)`
            )
        })
      )
    }

    // ------------------------------------------------------------------- Cond
    let condSettle: Effect.Effect<void> = Effect.void
    if (kinds.includes("cond")) {
      const mu = yield* Mutex.make({ name: "cond-mu" })
      const c = yield* Cond.make(mu, { name: "c" })
      let tokens = 0
      let produced = 0
      let consumed = 0
      let done = false
      let holders = 0
      let progress = 0
      // Holders are counted where the mutex is held throughout: not across
      // `waitUntil`, which releases it while it waits.
      const inside = (f: () => void) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.sync(() => {
            if (++holders > 1) violations.push(`Cond's mutex: ${holders} holders at once`)
            f()
          }).pipe(Effect.andThen(restore(chaos.yields(1))), Effect.ensuring(Effect.sync(() => void holders--)))
        )
      const nProducers = chaos.between(1, 4)
      const nConsumers = chaos.between(1, 4)
      let producersLeft = nProducers
      let consumersLeft = nConsumers
      const produce = Effect.suspend(() => {
        const kind = chaos.int(4)
        const add = inside(() => {
          tokens++
          produced++
          progress++
          chaos.trace("t+")
        })
        // Signal or broadcast, with the mutex held or after releasing it.
        const wake = chaos.chance(0.7) ? Cond.signal(c) : Cond.broadcast(c)
        const guard = Mutex.withLock(mu)
        // Uninterruptible: a producer interrupted between its token and its
        // signal would leave consumers waiting for a signal never sent.
        return Effect.uninterruptible(kind < 2 ? guard(Effect.andThen(add, wake)) : Effect.andThen(guard(add), wake))
      })
      const consume = Mutex.withLock(mu)(
        Effect.andThen(
          Cond.waitUntil(c, () => tokens > 0 || done),
          inside(() => {
            if (tokens > 0) {
              tokens--
              consumed++
              progress++
              chaos.trace("t-")
            }
            if (tokens < 0) violations.push(`Cond: ${tokens} tokens`)
          })
        )
      )
      for (let w = 0; w < nProducers; w++) {
        yield* worker(chaos.between(5, 40), () => Effect.andThen(produce, chaos.yields(2))).pipe(
          Effect.tap((fiber) => Effect.sync(() => fiber.addObserver(() => producersLeft--)))
        )
      }
      for (let w = 0; w < nConsumers; w++) {
        yield* worker(chaos.between(5, 60), () => consume).pipe(
          Effect.tap((fiber) => Effect.sync(() => fiber.addObserver(() => consumersLeft--)))
        )
      }
      chaos.note(
        "cond",
        () =>
          `tokens ${tokens} (produced ${produced}, consumed ${consumed}), ${producersLeft} producer(s) and ${consumersLeft} consumer(s) running, ${Effect.runSync(Cond.blocked(c)).length} waiter(s)`
      )
      // Once the producers are done, wait for the consumers to take what is
      // left; a consumer parked while a token waits, with nothing else
      // happening for a long while, lost its signal. Then let them all go.
      condSettle = Effect.suspend(() => {
        let seen = -1
        let stalls = 0
        return Effect.whileLoop({
          while: () => producersLeft > 0 || (consumersLeft > 0 && tokens > 0 && stalls < 200),
          body: () =>
            Effect.suspend(() => {
              if (progress !== seen) {
                seen = progress
                stalls = 0
              } else stalls++
              return Effect.yieldNow
            }),
          step: () => {}
        }).pipe(
          Effect.andThen(
            Effect.suspend(() => {
              const parked = Effect.runSync(Cond.blocked(c)).length
              if (consumersLeft > 0 && tokens > 0 && parked > 0) {
                violations.push(`Cond: ${parked} consumer(s) stay parked while ${tokens} token(s) wait (a lost signal)`)
              }
              // Under the mutex, as any change to what waiters test.
              return Effect.andThen(Mutex.withLock(mu)(Effect.sync(() => void (done = true))), Cond.broadcast(c))
            })
          )
        )
      })
      ends.push(
        Effect.gen(function* () {
          const waiters = yield* Cond.blocked(c)
          if (waiters.length > 0) violations.push(`Cond: ${waiters.length} waiter(s) left`)
          if (produced !== consumed + tokens)
            violations.push(`Cond: produced ${produced} ≠ consumed ${consumed} + left ${tokens}`)
          if (yield* Mutex.tryLock(mu)) yield* Mutex.unlock(mu)
          else violations.push("Cond's mutex: still locked after every worker ended")
        })
      )
    }

    for (const fiber of workers) if (chaos.chance(0.1)) yield* chaos.interruptLater(fiber, 400)
    yield* condSettle
    yield* Fiber.awaitAll(workers)
    for (const end of ends) yield* end
    if (violations.length > 0) {
      return yield* chaos.fail(
        `locks model (${kinds.join(", ")}): ${violations.slice(0, 5).join("; ")}` +
          (violations.length > 5 ? `; and ${violations.length - 5} more` : "")
      )
    }
  })
