/**
 * sync.WaitGroup · "WaitGroup vs Channels — parallelFetch": results are
 * needed, so they come back over a channel; reading exactly len(urls) of them
 * is the completion signal, no WaitGroup needed.
 *
 * Go:
 *   func parallelFetch(urls []string) []Result {
 *       results := make(chan Result, len(urls))
 *       for _, url := range urls {
 *           go func(u string) { results <- fetch(u) }(url)
 *       }
 *       collected := make([]Result, 0, len(urls))
 *       for i := 0; i < len(urls); i++ { collected = append(collected, <-results) }
 *       return collected
 *   }
 *
 * `fetch` is simulated with a sleep. The fetchers are forked in the
 * function's scope (`Effect.forkScoped`), so even a caller that stopped
 * reading early would not leave them behind.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Chan from "../src/Chan.ts"
import * as Example from "./Example.ts"

interface Result {
  readonly url: string
  readonly status: number
}

const fetch = (url: string): Effect.Effect<Result> =>
  Effect.sleep(`${url.length} millis`).pipe(Effect.as({ url, status: url.includes("missing") ? 404 : 200 }))

const parallelFetch = (urls: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const results = yield* Chan.make<Result>(urls.length)
    for (const url of urls) {
      yield* Effect.forkScoped(fetch(url).pipe(Effect.flatMap((r) => Chan.send(results, r))))
    }
    const collected: Array<Result> = []
    for (let i = 0; i < urls.length; i++) collected.push(Option.getOrThrow(yield* Chan.recv(results)))
    return collected
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const collected = yield* parallelFetch([
    "http://a.example/a/very/long/page",
    "http://b.example",
    "http://c.example/missing"
  ])
  yield* Console.log(`collected ${collected.length} results, in arrival order:`)
  for (const r of collected) yield* Console.log(`  ${r.status} ${r.url}`)
})

export const example = Example.make({
  name: "parallel-fetch",
  section: "sync.WaitGroup · WaitGroup vs Channels · parallelFetch",
  title: "results over a buffered channel: reading len(urls) values is the completion signal",
  uses: ["Chan"],
  program,
  expected: [
    "collected 3 results, in arrival order:",
    "200 http://b.example",
    "404 http://c.example/missing",
    "200 http://a.example/a/very/long/page"
  ]
})

if (import.meta.main) Example.runMain(example)
