/**
 * Correctness & Trade-offs · "Interview Questions · Q2: How do you debug a
 * deadlock?" — "Use Ctrl+\ (SIGQUIT) to dump the stack trace of all
 * goroutines. Look for goroutines stuck in semacquire (Mutex wait) or chan
 * send/receive."
 *
 * Go's dump lists every goroutine's stack; finding the cycle in it is left
 * to the reader. effect-go knows at every blocking point which fiber waits
 * on which primitive, and who holds it, so its dump (`Diagnostics.dump`, and
 * on SIGQUIT under `Diagnostics.layer`) names the fiber in the way, and the
 * deadlock detector (`Diagnostics.findDeadlocks`) finds the cycle itself —
 * here a lock-order inversion between two account mutexes, with an audit
 * blocked behind it — and draws the wait-for graph in Mermaid. The two
 * workers waiting on the jobs channel are not deadlocked: any fiber may
 * still send to it.
 */
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../src/Chan.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const program = Effect.gen(function* () {
  const alice = yield* Mutex.make({ name: "alice" })
  const bob = yield* Mutex.make({ name: "bob" })
  const jobs = yield* Chan.make<string>(0, { name: "jobs" })
  const workers = yield* WaitGroup.make({ name: "workers" })

  // Go: func transfer(from, to *Account) { from.mu.Lock(); to.mu.Lock(); ... }
  // run as transfer(alice, bob) and transfer(bob, alice) at the same time.
  const bothLocked = yield* Deferred.make<void>()
  let locked = 0
  const transfer = (from: Mutex.Mutex, to: Mutex.Mutex) =>
    Effect.gen(function* () {
      if (++locked === 2) yield* Deferred.succeed(bothLocked, undefined)
      yield* Deferred.await(bothLocked)
      yield* Mutex.withLock(to)(Effect.void)
    }).pipe(Mutex.withLock(from))
  const fibers = [
    yield* Effect.forkChild(transfer(alice, bob).pipe(Effect.withSpan("transfer alice→bob"))),
    yield* Effect.forkChild(transfer(bob, alice).pipe(Effect.withSpan("transfer bob→alice")))
  ]
  for (const name of ["worker-1", "worker-2"]) {
    yield* WaitGroup.go(workers, Chan.recv(jobs).pipe(Effect.withSpan(name)))
  }
  yield* Effect.sleep("100 millis")
  fibers.push(yield* Effect.forkChild(Mutex.lock(alice).pipe(Effect.withSpan("audit"))))
  yield* Effect.sleep("1 second")

  // Go's Ctrl+\ — as data, printed like Go's dump, grouped by primitive.
  yield* Console.log(Diagnostics.format(yield* Diagnostics.dump))
  yield* Console.log("")
  for (const deadlock of yield* Diagnostics.findDeadlocks) {
    yield* Console.log(Diagnostics.formatDeadlock(deadlock).split("\n\n")[0]!)
    yield* Console.log("")
    yield* Console.log(Diagnostics.toMermaid(deadlock))
  }
  yield* Fiber.interruptAll(fibers)
  yield* Chan.close(jobs)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "debug-deadlock",
  section: "Correctness & Trade-offs · Interview Questions · Q2 How do you debug a deadlock?",
  title: "the blocked-fiber dump names who holds what; the detector finds the lock-order cycle and draws it",
  uses: ["Diagnostics", "Mutex", "Chan", "WaitGroup"],
  program,
  expected: [
    "effect-go: 5 fibers blocked on 3 primitives",
    'Chan "jobs" (capacity 0, len 0)',
    /^ {2}fiber #\d+ "worker-1": recv, blocked 1\.\ds$/,
    'Mutex "alice" (locked)',
    /^ {2}held by fiber #\d+ "transfer alice→bob": holds the lock$/,
    /^ {2}fiber #\d+ "transfer bob→alice": lock, blocked 1\.\ds$/,
    /^ {2}fiber #\d+ "audit": lock, blocked 1\.0s$/,
    "effect-go: deadlock! 3 fibers can never be woken (a wait-for cycle)",
    /^ {2}fiber #\d+ "audit": lock on Mutex "alice", waits for #\d+$/,
    /^ {2}cycle: #\d+ → #\d+ → #\d+$/,
    "flowchart LR"
  ]
})

if (import.meta.main) Example.runMain(example)
