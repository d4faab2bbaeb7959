/**
 * sync.WaitGroup · "WaitGroup vs Channels — parallelWrite": fire and forget,
 * then wait for completion; no results flow back, so a WaitGroup is enough.
 *
 * Go:
 *   func parallelWrite(items []Item) {
 *       var wg sync.WaitGroup
 *       for _, item := range items {
 *           wg.Add(1)
 *           go func(it Item) { defer wg.Done(); writeToDatabase(it) }(item)
 *       }
 *       wg.Wait() // All writes done
 *   }
 *
 * The "database" is a map guarded by a Mutex: the WaitGroup says when the
 * writes are done, it does not protect what they write (the same document's Interview Trap 4).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Item {
  readonly id: string
  readonly qty: number
}

const makeDatabase = Effect.gen(function* () {
  const mu = yield* Mutex.make()
  const rows = new Map<string, number>()
  return {
    write: (item: Item) =>
      Effect.sleep(`${item.qty} millis`).pipe(
        Effect.andThen(Effect.sync(() => rows.set(item.id, item.qty)).pipe(Mutex.withLock(mu)))
      ),
    rows: Effect.sync(() => [...rows].sort(([a], [b]) => a.localeCompare(b))).pipe(Mutex.withLock(mu))
  }
})

const program = Effect.gen(function* () {
  const db = yield* makeDatabase
  const parallelWrite = (items: ReadonlyArray<Item>) =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      for (const item of items) yield* WaitGroup.go(wg, db.write(item))
      yield* WaitGroup.wait(wg) // All writes done
    }).pipe(Effect.scoped)

  yield* parallelWrite([
    { id: "apple", qty: 12 },
    { id: "pear", qty: 3 },
    { id: "plum", qty: 7 },
    { id: "fig", qty: 9 }
  ])
  const rows = yield* db.rows
  yield* Console.log(`all writes done: ${rows.length} rows`)
  for (const [id, qty] of rows) yield* Console.log(`  ${id} = ${qty}`)
})

export const example = Example.make({
  name: "parallel-write",
  section: "sync.WaitGroup · WaitGroup vs Channels · parallelWrite",
  title: "fire-and-forget writes: WaitGroup only, a Mutex guards the shared map",
  uses: ["WaitGroup", "Mutex"],
  program,
  expected: ["all writes done: 4 rows", "apple = 12", "fig = 9", "pear = 3", "plum = 7"]
})

if (import.meta.main) Example.runMain(example)
