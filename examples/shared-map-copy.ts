/**
 * Go Concurrency · "Data Race Gotchas · Map/Slice Assignment Doesn't Copy":
 * taking a reference to a guarded map under the read lock and iterating it
 * after the unlock races with the writers.
 *
 * Go:
 *   // Race — balances and m share the same map data
 *   func (c *Cache) AverageBalance() float64 {
 *     c.mu.RLock()
 *     m := c.balances // NOT a copy — same underlying data
 *     c.mu.RUnlock()
 *     for _, v := range m { ... } // race with AddBalance
 *   }
 *   // Fix — deep copy inside critical section
 *     c.mu.RLock(); m := maps.Clone(c.balances); c.mu.RUnlock()
 *
 * The same holds in TypeScript: `const m = this.balances` copies a
 * reference. In one thread there is no torn read, but the iteration below
 * yields between entries (think of an await per entry), and the writers —
 * transfers that move money between two accounts under the write lock, so
 * the total is always 400 — run in between: the unguarded reader adds up a
 * state that never existed. Cloning inside the read lock (`new Map(...)`,
 * Go's `maps.Clone`) gives a consistent snapshot.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as RWMutex from "../src/RWMutex.ts"
import * as Example from "./Example.ts"

class Cache {
  readonly mu = RWMutex.makeUnsafe({ name: "Cache" })
  readonly balances = new Map([
    ["alice", 100],
    ["bob", 100],
    ["carol", 100],
    ["dave", 100]
  ])

  // Go's AddBalance, twice under one write lock: a transfer keeps the total.
  transfer(from: string, to: string, amount: number): Effect.Effect<void> {
    return RWMutex.withLock(this.mu)(
      Effect.sync(() => {
        this.balances.set(from, this.balances.get(from)! - amount)
        this.balances.set(to, this.balances.get(to)! + amount)
      })
    )
  }

  private static total(m: ReadonlyMap<string, number>): Effect.Effect<number> {
    return Effect.gen(function* () {
      let sum = 0
      for (const v of m.values()) {
        sum += v
        yield* Effect.yieldNow // slow work per entry: the writers run meanwhile
      }
      return sum
    })
  }

  // ❌ m := c.balances
  readonly totalShared: Effect.Effect<number> = Effect.suspend(() => {
    const m = RWMutex.withRLock(this.mu)(Effect.sync(() => this.balances)) // NOT a copy
    return Effect.flatMap(m, Cache.total)
  })

  // ✅ m := maps.Clone(c.balances)
  readonly totalCloned: Effect.Effect<number> = Effect.suspend(() => {
    const m = RWMutex.withRLock(this.mu)(Effect.sync(() => new Map(this.balances)))
    return Effect.flatMap(m, Cache.total)
  })
}

const measure = (label: string, read: (c: Cache) => Effect.Effect<number>) =>
  Effect.gen(function* () {
    const cache = new Cache()
    // A writer that keeps moving money around while the reader adds it up.
    const writer = yield* Effect.forkChild(
      Effect.forever(Effect.andThen(cache.transfer("alice", "dave", 10), Effect.yieldNow))
    )
    const totals: Array<number> = []
    for (let i = 0; i < 5; i++) totals.push(yield* read(cache))
    yield* Fiber.interrupt(writer)
    yield* Console.log(`${label}: totals seen ${totals.join(", ")} (the real total is always 400)`)
  })

const program = Effect.gen(function* () {
  yield* measure("reference taken under RLock", (c) => c.totalShared)
  yield* measure("clone taken under RLock", (c) => c.totalCloned)
})

export const example = Example.make({
  name: "shared-map-copy",
  section: "Go Concurrency · Data Race Gotchas · Map/Slice Assignment Doesn't Copy",
  title: "iterating a guarded map after the unlock sees writers mid-way; clone it inside the read lock",
  uses: ["RWMutex"],
  program,
  expected: [
    /^reference taken under RLock: totals seen (?!400, 400, 400, 400, 400 )/,
    "clone taken under RLock: totals seen 400, 400, 400, 400, 400 (the real total is always 400)"
  ]
})

if (import.meta.main) Example.runMain(example)
