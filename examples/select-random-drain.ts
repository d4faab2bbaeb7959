/**
 * Go Concurrency · "Select Chooses Randomly": when a message and the
 * disconnect signal are both ready, `select` may take the disconnect first and
 * drop the messages still queued. The fix: after the stop signal, drain the
 * work channel (or, with a single producer, use one channel and close it).
 *
 * Go:
 *   // Bug — disconnect may fire before all messages are consumed
 *   for {
 *     select {
 *     case v := <-messageCh: process(v)
 *     case <-disconnectCh:   return // may fire early if both channels are ready
 *     }
 *   }
 *
 * effect-go's select has Go's semantics: among ready cases it picks one
 * uniformly at random, drawing from Effect's `Random`. Seeding that Random
 * (`Random.withSeed`) makes the run repeatable, which is how this example
 * counts the damage: 1000 runs, each with five messages queued and the
 * disconnect already signalled.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as Example from "./Example.ts"

const MESSAGES = 5
const RUNS = 1000

type Consumer = (messages: Chan.RecvChan<number>, disconnect: Chan.RecvChan<void>) => Effect.Effect<number>

// ❌ return as soon as the disconnect case is chosen
const buggy: Consumer = (messages, disconnect) =>
  Effect.gen(function* () {
    let processed = 0
    while (true) {
      const stop = yield* Select.select(
        Select.recv(messages, () => Effect.sync(() => void processed++).pipe(Effect.as(false))),
        Select.recv(disconnect, () => Effect.succeed(true))
      )
      if (stop) return processed
    }
  })

// ✅ after the stop signal, drain what is already queued
const draining: Consumer = (messages, disconnect) =>
  Effect.gen(function* () {
    let processed = 0
    while (true) {
      const stop = yield* Select.select(
        Select.recv(messages, () => Effect.sync(() => void processed++).pipe(Effect.as(false))),
        Select.recv(disconnect, () => Effect.succeed(true))
      )
      if (stop) {
        while ((yield* Chan.tryRecv(messages))._tag === "Received") processed++
        return processed
      }
    }
  })

// ✅ single producer: no second channel; closing the message channel is the disconnect
const singleChannel: Consumer = (messages) =>
  Effect.gen(function* () {
    let processed = 0
    yield* Chan.forEach(messages, () => Effect.sync(() => processed++))
    return processed
  })

const trial = (consumer: Consumer, closeMessages: boolean) =>
  Effect.gen(function* () {
    const messages = yield* Chan.make<number>(MESSAGES)
    const disconnect = yield* Chan.make<void>()
    for (let i = 0; i < MESSAGES; i++) yield* Chan.send(messages, i)
    // The producer is done: it signals disconnect (or, with one channel, closes it).
    if (closeMessages) yield* Chan.close(messages)
    else yield* Chan.close(disconnect)
    return yield* consumer(messages, disconnect)
  })

const measure = (label: string, consumer: Consumer, closeMessages = false) =>
  Effect.gen(function* () {
    let complete = 0
    let total = 0
    for (let run = 0; run < RUNS; run++) {
      const processed = yield* trial(consumer, closeMessages)
      total += processed
      if (processed === MESSAGES) complete++
    }
    yield* Console.log(
      `${label}: all ${MESSAGES} processed in ${complete} of ${RUNS} runs (${(total / RUNS).toFixed(2)} on average)`
    )
  })

const program = Effect.gen(function* () {
  yield* measure("select, return on disconnect", buggy)
  yield* measure("select, drain after disconnect", draining)
  yield* measure("single channel, closed by the producer", singleChannel, true)
}).pipe(Effect.orDie, Random.withSeed("effect-go"))

export const example = Example.make({
  name: "select-random-drain",
  section: "Go Concurrency · Select Chooses Randomly",
  title: "a ready disconnect may win over queued messages; drain after stop, or use one channel",
  uses: ["Chan", "Select"],
  program,
  expected: [
    /^select, return on disconnect: all 5 processed in \d{1,3} of 1000 runs/,
    /^select, drain after disconnect: all 5 processed in 1000 of 1000 runs/,
    /^single channel, closed by the producer: all 5 processed in 1000 of 1000 runs/
  ]
})

if (import.meta.main) Example.runMain(example)
