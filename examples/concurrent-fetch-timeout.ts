/**
 * Correctness & Trade-offs · "Advanced Control — 1. Context & Timeouts — Code
 * Exercise: Concurrent Fetch with Timeout": fetch URLs, at most 2 at once,
 * with a global timeout of 500 ms.
 *
 * Go:
 *   func fetch(ctx context.Context, url string, results chan<- string) {
 *       select {
 *       case <-time.After(200 * time.Millisecond): results <- fmt.Sprintf("Success: %s", url)
 *       case <-ctx.Done():                         results <- fmt.Sprintf("Timeout: %s", url)
 *       }
 *   }
 *   func main() {
 *       ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
 *       defer cancel()
 *       results := make(chan string)
 *       sem := make(chan struct{}, 2) // Semaphore pattern: buffered channel of size 2
 *       for _, url := range urls {
 *           go func(u string) {
 *               sem <- struct{}{}; defer func() { <-sem }()
 *               if ctx.Err() == nil { fetch(ctx, u, results) }
 *           }(url)
 *       }
 *       for i := 0; i < len(urls); i++ { fmt.Println(<-results) }
 *   }
 *
 * Five URLs instead of three, so that the deadline is reached: a and b run
 * 0–200 ms, c and d 200–400 ms, e starts at 400 ms and times out at 500.
 * The fetch is simulated (`Select.after` is `time.After`), as in Go.
 *
 * Go's `defer cancel()` is the scope: `GoContext.withTimeout` is scoped,
 * and closing the scope cancels the context and stops every fetcher still
 * running. One fix over the Go code: a goroutine that gets its slot after
 * the deadline sends nothing there, and `main` then waits forever for its
 * result; here it reports "Canceled".
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as Example from "./Example.ts"

const fetch = (ctx: GoContext.GoContext, url: string, results: Chan.SendChan<string>) =>
  Select.select(
    Select.after("200 millis", () => Chan.send(results, `Success: ${url}`)), // Simulate work
    Select.recv(GoContext.done(ctx), () => Chan.send(results, `Timeout: ${url}`)) // Cancelled
  )

const program = Effect.gen(function* () {
  const urls = ["http://a.com", "http://b.com", "http://c.com", "http://d.com", "http://e.com"]
  const [ctx] = yield* GoContext.withTimeout(GoContext.background, "500 millis")
  const results = yield* Chan.make<string>()
  const sem = yield* Chan.make<void>(2) // Semaphore pattern: buffered channel of size 2

  for (const url of urls) {
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* Chan.send(sem, undefined) // Acquire token
        // Check the context before working.
        if (Option.isNone(yield* GoContext.err(ctx))) yield* fetch(ctx, url, results)
        else yield* Chan.send(results, `Canceled: ${url}`)
      }).pipe(
        Effect.ensuring(Chan.recv(sem)), // Release token
        Effect.orDie
      )
    )
  }

  for (let i = 0; i < urls.length; i++) {
    yield* Console.log(Option.getOrThrow(yield* Chan.recv(results)))
  }
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "concurrent-fetch-timeout",
  section: "Correctness & Trade-offs · Advanced Control · 1. Context & Timeouts (Concurrent Fetch with Timeout)",
  title: "fetch 5 URLs, at most 2 at once (channel semaphore), global 500 ms context timeout",
  uses: ["GoContext", "Select", "Chan"],
  program,
  expected: [
    /^Success: http:\/\/[ab]\.com$/,
    /^Success: http:\/\/[ab]\.com$/,
    /^Success: http:\/\/[cd]\.com$/,
    /^Success: http:\/\/[cd]\.com$/,
    "Timeout: http://e.com"
  ]
})

if (import.meta.main) Example.runMain(example)
