/**
 * Concurrency shapes several test files build on: Go's lock-order inversion
 * (a real deadlock) and a check-then-act race (a model for the explorer).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Chan from "../../src/Chan.ts"
import * as Mutex from "../../src/Mutex.ts"
import type * as Testing from "../../src/Testing.ts"
import { settle } from "./fibers.ts"

/**
 * Go's lock-order inversion: each fiber holds one mutex ("a", "b") and wants
 * the other's. Forked with `fork`; returns once both are parked.
 */
export const inversionWith = (fork: <A>(effect: Effect.Effect<A>) => Effect.Effect<Fiber.Fiber<A>>) =>
  Effect.gen(function* () {
    const a = yield* Mutex.make({ name: "a" })
    const b = yield* Mutex.make({ name: "b" })
    const bothHold = yield* Deferred.make<void>()
    let holding = 0
    const transfer = (first: Mutex.Mutex, second: Mutex.Mutex, name: string) =>
      Effect.gen(function* () {
        if (++holding === 2) yield* Deferred.succeed(bothHold, undefined)
        yield* Deferred.await(bothHold)
        yield* Mutex.withLock(second)(Effect.void)
      }).pipe(Mutex.withLock(first), Effect.withSpan(name))
    const ab = yield* fork(transfer(a, b, "transfer a→b"))
    const ba = yield* fork(transfer(b, a, "transfer b→a"))
    yield* settle
    return { a, b, ab, ba }
  })

/** {@link inversionWith} forked as children of the caller. */
export const inversion = inversionWith((effect) => Effect.forkChild(effect))

/**
 * Check-then-act across a channel send: a booking checks for a free seat,
 * records the booking on a buffered channel, then takes the seat. Two
 * bookings can both see the last seat when a fiber yields between the check
 * and the act, which Effect's default op budget (2048) never makes happen
 * in so short a fiber. `locked` puts check and act under one Mutex.
 */
export const booking =
  (locked: boolean): Testing.Model =>
  (chaos) =>
    Effect.gen(function* () {
      let seats = 1
      const mu = yield* Mutex.make()
      const audit = yield* Chan.make<string>(2)
      const checkThenAct = (who: string) =>
        Effect.gen(function* () {
          if (seats > 0) {
            yield* Chan.send(audit, who)
            seats--
          }
        })
      const book = (who: string) => (locked ? Mutex.withLock(mu)(checkThenAct(who)) : checkThenAct(who))
      yield* Effect.all([book("ann"), book("bob")], { concurrency: "unbounded" })
      chaos.trace(seats)
      if (seats < 0) return yield* chaos.fail(`oversold: ${seats} seats left`)
    })
