/**
 * Go Concurrency · "errgroup": a group of tasks with error propagation and
 * cancellation — "prefer errgroup over manual sync.WaitGroup + error
 * collection".
 *
 * Go:
 *   g, ctx := errgroup.WithContext(ctx)
 *   for _, url := range urls {
 *     g.Go(func() error { return fetch(ctx, url) })
 *   }
 *   if err := g.Wait(); err != nil {
 *     // first non-nil error from any goroutine
 *   }
 *
 * Side by side, on the same simulated fetches (one fails after 10 ms, the
 * others take 40 ms):
 * - WaitGroup + a Mutex-guarded error slot: every fetch runs to the end, so
 *   the error is known only when the slowest one has finished;
 * - ErrGroup: the first failure interrupts the other tasks and `wait`
 *   returns it as soon as they have stopped.
 * `ErrGroup.forEach` is the same group returning every result in input
 * order (the `results[i] = ...` idiom).
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {
  override get message(): string {
    return `fetch ${this.url}: connection refused`
  }
}

const fetch = (url: string, stats: { completed: number }): Effect.Effect<string, FetchError> =>
  url.includes("down")
    ? Effect.sleep("10 millis").pipe(Effect.andThen(Effect.fail(new FetchError({ url }))))
    : Effect.sleep("40 millis").pipe(
        Effect.andThen(Effect.sync(() => stats.completed++)),
        Effect.as(`<html of ${url}>`)
      )

const urls = ["https://a.example", "https://down.example", "https://b.example", "https://c.example"]

const timed = <A, E>(label: string, body: (stats: { completed: number }) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const stats = { completed: 0 }
    const started = yield* Clock.currentTimeMillis
    const result = yield* Effect.result(body(stats))
    const elapsed = (yield* Clock.currentTimeMillis) - started
    const outcome = result._tag === "Failure" ? `error "${(result.failure as Error).message}"` : "ok"
    yield* Console.log(`${label}: ${outcome} after ${elapsed} ms; ${stats.completed} of 3 other fetches ran to the end`)
  })

// WaitGroup + manual error collection.
const manual = (stats: { completed: number }) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const mu = yield* Mutex.make()
    let firstErr: FetchError | undefined
    for (const url of urls) {
      yield* WaitGroup.go(
        wg,
        fetch(url, stats).pipe(
          Effect.catch((err) => Mutex.withLock(mu)(Effect.sync(() => void (firstErr ??= err)))),
          Effect.asVoid
        )
      )
    }
    yield* WaitGroup.wait(wg)
    if (firstErr !== undefined) return yield* Effect.fail(firstErr)
  }).pipe(Effect.scoped)

// errgroup.
const withErrGroup = (stats: { completed: number }) =>
  Effect.gen(function* () {
    const g = yield* ErrGroup.make<FetchError>()
    for (const url of urls) yield* ErrGroup.go(g, fetch(url, stats))
    yield* ErrGroup.wait(g) // the first FetchError; the other fetches were interrupted
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* timed("WaitGroup + error slot", manual)
  yield* timed("ErrGroup", withErrGroup)
  const pages = yield* ErrGroup.forEach(
    urls.filter((u) => !u.includes("down")),
    (url) => fetch(url, { completed: 0 })
  )
  yield* Console.log(`ErrGroup.forEach, all up: ${pages.join(", ")}`)
})

export const example = Example.make({
  name: "errgroup-first-error",
  section: "Go Concurrency · errgroup",
  title: "the first error cancels the other tasks and is what wait returns; a WaitGroup runs them all to the end",
  uses: ["ErrGroup", "WaitGroup", "Mutex"],
  program,
  expected: [
    'WaitGroup + error slot: error "fetch https://down.example: connection refused" after 40 ms; 3 of 3 other fetches ran to the end',
    'ErrGroup: error "fetch https://down.example: connection refused" after 10 ms; 0 of 3 other fetches ran to the end',
    "ErrGroup.forEach, all up: <html of https://a.example>, <html of https://b.example>, <html of https://c.example>"
  ]
})

if (import.meta.main) Example.runMain(example)
