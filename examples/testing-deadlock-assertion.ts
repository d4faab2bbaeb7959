/**
 * Go Concurrency · "Synchronization" · Mutexes — and what a test can say
 * about them. Go finds a deadlock only when *every* goroutine is asleep
 * ("fatal error: all goroutines are asleep - deadlock!"), which a test
 * binary, with its runner's goroutines alive, almost never is: a lock-order
 * inversion just hangs until the test times out, and a goroutine left
 * blocked on a send is found, if at all, by goleak at the end.
 *
 *   func transfer(from, to *Account, amount int) {
 *       from.mu.Lock(); defer from.mu.Unlock()
 *       balance := load(from)          // I/O while holding the lock
 *       to.mu.Lock(); defer to.mu.Unlock()
 *       ...
 *   }
 *   go transfer(alice, bob, 10); go transfer(bob, alice, 20) // each holds one lock, waits for the other
 *
 * In effect-go a test asserts both, at the point it chooses:
 * `Testing.expectNoDeadlock` fails with `DeadlockError` (in the error
 * channel) when fibers of the test can never be woken — here the wait-for
 * cycle of the two transfers, with the report naming who holds what — and
 * `Testing.expectNoBlockedFibers` fails with `BlockedFibersError`, the
 * blocked-fiber dump, when any fiber of the test is parked on a primitive:
 * here Go's "first replica wins" query whose losing replicas stay blocked on
 * an unbuffered results channel. The fixes (one global lock order; a buffer
 * with room for every replica) pass the same assertions.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../src/Chan.ts"
import type * as Diagnostics from "../src/Diagnostics.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Testing from "../src/Testing.ts"
import * as Example from "./Example.ts"

/** What an assertion says, as a test runner would show it. */
const verdict = (
  assertion: Effect.Effect<void, Diagnostics.DeadlockError | Testing.BlockedFibersError>,
  pass: string
) =>
  assertion.pipe(
    Effect.as(`passed (${pass})`),
    Effect.catch((error) => Effect.succeed(`failed with ${error._tag}:\n${error.message}`))
  )

interface Account {
  readonly id: number
  readonly mu: Mutex.Mutex
  balance: number
}

const account = (id: number, name: string, balance: number) =>
  Effect.map(Mutex.make({ name }), (mu): Account => ({ id, mu, balance }))

/** A read that takes time (a database round trip) while `from` is locked. */
const load = (a: Account) => Effect.as(Effect.sleep("5 millis"), a.balance)

/** ❌ Locks `from`, then `to`: two opposite transfers lock in opposite orders. */
const transfer = (from: Account, to: Account, amount: number) =>
  Effect.gen(function* () {
    const balance = yield* load(from)
    yield* Mutex.withLock(to.mu)(
      Effect.sync(() => {
        from.balance = balance - amount
        to.balance += amount
      })
    )
  }).pipe(Mutex.withLock(from.mu))

/** ✅ Every transfer locks the account with the smaller id first: one global order, no cycle. */
const transferOrdered = (from: Account, to: Account, amount: number) => {
  const [first, second] = from.id < to.id ? [from, to] : [to, from]
  return Effect.gen(function* () {
    const balance = yield* load(from)
    from.balance = balance - amount
    to.balance += amount
  }).pipe(Mutex.withLock(second.mu), Mutex.withLock(first.mu))
}

const transfersTest = (move: typeof transfer) =>
  Effect.gen(function* () {
    const alice = yield* account(1, "alice", 100)
    const bob = yield* account(2, "bob", 100)
    const fibers = [
      yield* Effect.forkChild(move(alice, bob, 10).pipe(Effect.withSpan("transfer alice→bob"))),
      yield* Effect.forkChild(move(bob, alice, 20).pipe(Effect.withSpan("transfer bob→alice")))
    ]
    yield* Effect.sleep("50 millis") // let both transfers run
    const deadlock = yield* verdict(Testing.expectNoDeadlock, "no deadlock")
    yield* Fiber.interruptAll(fibers)
    return { deadlock, balances: `alice ${alice.balance}, bob ${bob.balance}` }
  })

/** Ask every replica, take the first answer: Go's `results := make(chan Result)` + one receive. */
const firstReplica = (capacity: number) =>
  Effect.gen(function* () {
    const results = yield* Chan.make<string>(capacity, { name: "results" })
    for (const [replica, latency] of [
      ["replica-1", 10],
      ["replica-2", 20],
      ["replica-3", 30]
    ] as const) {
      yield* Effect.forkScoped(
        Effect.sleep(latency).pipe(Effect.andThen(Chan.send(results, replica)), Effect.withSpan(replica))
      )
    }
    const first = yield* Chan.recv(results)
    yield* Effect.sleep("100 millis") // every replica has answered by now
    const blocked = yield* verdict(Testing.expectNoBlockedFibers, "no fiber blocked")
    return { first: first._tag === "Some" ? first.value : "none", blocked }
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const inverted = yield* transfersTest(transfer)
  yield* Console.log(`transfer (locks from, then to): expectNoDeadlock ${inverted.deadlock}`)
  const ordered = yield* transfersTest(transferOrdered)
  yield* Console.log(`\ntransfer in one lock order: expectNoDeadlock ${ordered.deadlock}; ${ordered.balances}`)

  const unbuffered = yield* firstReplica(0)
  yield* Console.log(
    `\nfirst replica (unbuffered results): got ${unbuffered.first}; expectNoBlockedFibers ${unbuffered.blocked}`
  )
  const buffered = yield* firstReplica(3)
  yield* Console.log(
    `\nfirst replica (results buffered for 3): got ${buffered.first}; expectNoBlockedFibers ${buffered.blocked}`
  )
})

export const example = Example.make({
  name: "testing-deadlock-assertion",
  section: "Go Concurrency · Synchronization · Mutexes (asserting no deadlock, no blocked goroutine, in a test)",
  title:
    "Testing.expectNoDeadlock fails a lock-order inversion with its DeadlockError report; expectNoBlockedFibers shows senders left blocked",
  uses: ["Testing", "Mutex", "Chan", "Diagnostics"],
  program,
  expected: [
    "transfer (locks from, then to): expectNoDeadlock failed with DeadlockError:",
    "effect-go: deadlock! 2 fibers can never be woken (a wait-for cycle)",
    /^ {2}fiber #\d+ "transfer alice→bob": lock on Mutex "bob", waits for #\d+$/,
    /^ {2}fiber #\d+ "transfer bob→alice": lock on Mutex "alice", waits for #\d+$/,
    /^ {2}cycle: #\d+ → #\d+ → #\d+$/,
    "transfer in one lock order: expectNoDeadlock passed (no deadlock); alice 110, bob 90",
    "first replica (unbuffered results): got replica-1; expectNoBlockedFibers failed with BlockedFibersError:",
    "effect-go: 2 fibers blocked on 1 primitive",
    'Chan "results" (capacity 0, len 0)',
    /^ {2}fiber #\d+ "replica-2": send, blocked \d+ms$/,
    /^ {2}fiber #\d+ "replica-3": send, blocked \d+ms$/,
    "first replica (results buffered for 3): got replica-1; expectNoBlockedFibers passed (no fiber blocked)"
  ]
})

if (import.meta.main) Example.runMain(example)
