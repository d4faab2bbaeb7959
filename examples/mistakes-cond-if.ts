/**
 * Coordination Guide · "Common Mistakes and Gotchas" #3: waiting on a Cond
 * with `if` instead of `for`.
 *
 * Go:
 *   // ❌ Using if instead of for leads to missed wake-ups
 *   mu.Lock()
 *   if len(queue) == 0 { cond.Wait() }
 *   item := queue[0]        // may be empty: another consumer got there first
 *   // ✅ Always check predicate in a for-loop
 *   for len(queue) == 0 { cond.Wait() }
 *
 * A wake-up only says "the state changed", not "your condition holds":
 * between the Broadcast and the moment a woken waiter holds the mutex again,
 * another consumer may take the item. Two consumers wait on one queue; the
 * producer adds one item and broadcasts. With `if`, the second consumer to
 * wake finds the queue empty — the example reports it instead of crashing.
 * `Cond.waitUntil(c, predicate)` is the `for` loop: the second consumer
 * waits again and gets the next item.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Cond from "../src/Cond.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const scenario = (label: string, useLoop: boolean) =>
  Effect.gen(function* () {
    const mu = yield* Mutex.make()
    const cond = yield* Cond.make(mu, { name: "queue not empty" })
    const queue: Array<string> = []

    const consumer = (id: number) =>
      Effect.gen(function* () {
        if (useLoop) {
          yield* Cond.waitUntil(cond, () => queue.length > 0) // for len(queue) == 0 { cond.Wait() }
        } else if (queue.length === 0) {
          yield* Cond.wait(cond) // if len(queue) == 0 { cond.Wait() }
        }
        const item = queue.shift()
        yield* Console.log(
          item === undefined ? `  consumer ${id}: woke up to an EMPTY queue` : `  consumer ${id}: got ${item}`
        )
      }).pipe(Mutex.withLock(mu))

    const produce = (item: string) =>
      Effect.gen(function* () {
        queue.push(item)
        yield* Console.log(`  producer: pushed ${item}, Broadcast`)
        yield* Cond.broadcast(cond)
      }).pipe(Mutex.withLock(mu))

    yield* Console.log(label)
    const wg = yield* WaitGroup.make()
    yield* WaitGroup.go(wg, consumer(1))
    yield* WaitGroup.go(wg, consumer(2))
    yield* Effect.sleep("5 millis") // both consumers are waiting now
    yield* produce("item-1")
    yield* Effect.sleep("5 millis")
    // With the loop, consumer 2 is still waiting for an item: give it one.
    if ((yield* Cond.blocked(cond)).length > 0) yield* produce("item-2")
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

const program = Effect.andThen(
  scenario("if (queue.length === 0) wait:", false),
  scenario("waitUntil (the for loop):", true)
)

export const example = Example.make({
  name: "mistakes-cond-if",
  section: "Coordination Guide · Common Mistakes #3 (forgetting to loop on Cond.Wait)",
  title: "a woken waiter must re-check its condition: Cond.waitUntil is the loop",
  uses: ["Cond", "Mutex", "WaitGroup"],
  program,
  expected: [
    "if (queue.length === 0) wait:",
    "producer: pushed item-1, Broadcast",
    "consumer 1: got item-1",
    "consumer 2: woke up to an EMPTY queue",
    "waitUntil (the for loop):",
    "producer: pushed item-1, Broadcast",
    "consumer 1: got item-1",
    "producer: pushed item-2, Broadcast",
    "consumer 2: got item-2"
  ]
})

if (import.meta.main) Example.runMain(example)
