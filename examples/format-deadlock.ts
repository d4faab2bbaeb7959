/**
 * Go Concurrency · "Data Race Gotchas · String Formatting Deadlocks": an error
 * message built while holding the write lock calls a method that takes the
 * read lock of the same mutex.
 *
 * Go:
 *   func (c *Customer) UpdateAge(age int) error {
 *     c.mu.Lock()
 *     defer c.mu.Unlock()
 *     if age < 0 {
 *       return fmt.Errorf("invalid age for %v", c) // calls c.String()
 *     }
 *     c.age = age
 *     return nil
 *   }
 *   func (c *Customer) String() string {
 *     c.mu.RLock() // deadlock — already write-locked
 *     defer c.mu.RUnlock()
 *     return fmt.Sprintf("id=%s age=%d", c.id, c.age)
 *   }
 *
 * The hidden half of Go's bug cannot be written here: `${c}` calls a
 * synchronous `toString()`, and taking an effect-go lock is an Effect, so a
 * formatting call can never lock anything behind your back. Locking must be
 * spelled out — and spelled out, the deadlock is real (an RWMutex is not
 * reentrant, as in Go). Under the diagnostics layer it is reported instead
 * of hanging: the fiber waits for a read lock behind the write lock it holds
 * itself, a wait-for cycle of one, and with `onDeadlock: "fail"` the stuck
 * call dies with a `DeadlockError` carrying the report (and releases the
 * write lock on its way out). Then the document's two fixes: validate before
 * locking, or format from the fields directly.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Example from "./Example.ts"

class InvalidAgeError extends Data.TaggedError("InvalidAgeError")<{ readonly detail: string }> {}

class Customer {
  readonly mu = RWMutex.makeUnsafe({ name: "Customer.mu" })
  readonly id: string
  age: number
  constructor(id: string, age: number) {
    this.id = id
    this.age = age
  }

  // Go's String(), made explicit: it takes the read lock.
  readonly describe: Effect.Effect<string> = RWMutex.withRLock(this.mu)(
    Effect.sync(() => `id=${this.id} age=${this.age}`)
  )

  // ❌ formats with describe while holding the write lock
  updateAge(age: number): Effect.Effect<void, InvalidAgeError> {
    return RWMutex.withLock(this.mu)(
      Effect.gen({ self: this }, function* () {
        if (age < 0) return yield* new InvalidAgeError({ detail: `invalid age for ${yield* this.describe}` })
        this.age = age
      })
    )
  }

  // ✅ fix 1: validate before locking
  updateAgeValidated(age: number): Effect.Effect<void, InvalidAgeError> {
    if (age < 0) return Effect.flatMap(this.describe, (d) => new InvalidAgeError({ detail: `invalid age for ${d}` }))
    return RWMutex.withLock(this.mu)(Effect.sync(() => void (this.age = age)))
  }

  // ✅ fix 2: format with direct field access under the lock we hold
  updateAgeDirect(age: number): Effect.Effect<void, InvalidAgeError> {
    return RWMutex.withLock(this.mu)(
      Effect.suspend(() => {
        if (age < 0) return new InvalidAgeError({ detail: `invalid age for id=${this.id} age=${this.age}` })
        this.age = age
        return Effect.void
      })
    )
  }
}

const report = (label: string, attempt: Effect.Effect<void, InvalidAgeError>) =>
  Effect.flatMap(Effect.result(attempt), (r) =>
    Console.log(`${label}: ${r._tag === "Failure" ? r.failure.detail : "ok"}`)
  )

const program = Effect.gen(function* () {
  const c = new Customer("c-42", 30)

  // The buggy call, under the deadlock detector: a report instead of a hang.
  yield* report("updateAge(-1)", c.updateAge(-1)).pipe(
    Effect.provide(Diagnostics.layer({ onDeadlock: "fail", interval: "100 millis", signal: false })),
    Effect.catchDefect((defect) =>
      defect instanceof Diagnostics.DeadlockError
        ? Console.log(`updateAge(-1): ${defect.message.split("\n").slice(0, 3).join("\n")}`)
        : Effect.die(defect)
    )
  )
  yield* Console.log(`after it: write-locked ${yield* RWMutex.isLocked(c.mu)}`)

  yield* report("validate before locking", c.updateAgeValidated(-1))
  yield* report("format from the fields", c.updateAgeDirect(-1))
  yield* report("a valid age", c.updateAgeDirect(31))
  yield* Console.log(`customer: ${yield* c.describe}`)
})

export const example = Example.make({
  name: "format-deadlock",
  section: "Go Concurrency · Data Race Gotchas · String Formatting Deadlocks",
  title: "formatting under the write lock with a method that read-locks deadlocks; the detector reports it, then fixed",
  uses: ["RWMutex", "Diagnostics"],
  program,
  expected: [
    "updateAge(-1): effect-go: deadlock! 1 fiber can never be woken (a wait-for cycle)",
    /^ {2}fiber #\d+: rLock on RWMutex "Customer.mu", waits for #\d+$/,
    /^ {2}cycle: #(\d+) → #\1$/,
    "after it: write-locked false",
    "validate before locking: invalid age for id=c-42 age=30",
    "format from the fields: invalid age for id=c-42 age=30",
    "a valid age: ok",
    "customer: id=c-42 age=31"
  ]
})

if (import.meta.main) Example.runMain(example)
