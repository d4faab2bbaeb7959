/**
 * Coordination Guide · "errgroup With Context for Cancellation": fetch several
 * URLs in parallel under a timeout; the first error (or the deadline) cancels
 * the rest and is what `Wait` returns.
 *
 * Go:
 *   ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
 *   defer cancel()
 *   g, ctx := errgroup.WithContext(ctx)
 *   for _, u := range urls {
 *     g.Go(func() error {
 *       req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
 *       resp, err := http.DefaultClient.Do(req)
 *       if err != nil { return err }
 *       defer resp.Body.Close()
 *       return nil
 *     })
 *   }
 *   if err := g.Wait(); err != nil { fmt.Println("failed:", err) } else { fmt.Println("all ok") }
 *
 * The fetch is simulated (a latency and a status per URL, with
 * `Effect.sleep`), so the example never touches the network and runs on
 * `TestClock` in the test. Durations are scaled down from the guide's (a 50 ms
 * timeout instead of 2 s) to keep the tour fast.
 *
 * - `GoContext.withTimeout` is `context.WithTimeout`; the scope is
 *   `defer cancel()`. `GoContext.run(ctx, get(url))` is a request made with
 *   that context: the deadline interrupts it and it fails with
 *   `DeadlineExceededError` ("context deadline exceeded").
 * - errgroup's derived context is not needed: the group's first failure
 *   interrupts the other tasks directly, wherever they are blocked — the
 *   fetch does not have to watch `ctx.Done()`.
 * - `ErrGroup.make<E>()` types the group: `wait` fails with
 *   `HttpError | ContextError`, and a task with another error is rejected.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Example from "./Example.ts"

class HttpError extends Data.TaggedError("HttpError")<{ readonly url: string; readonly status: number }> {
  override get message(): string {
    return `GET ${this.url}: ${this.status}`
  }
}

// The simulated web: latency (ms) and status per URL.
const web: Record<string, { readonly latency: number; readonly status: number }> = {
  "https://example.com": { latency: 10, status: 200 },
  "https://example.org": { latency: 20, status: 200 },
  "https://example.net/missing": { latency: 5, status: 404 },
  "https://slow.example": { latency: 200, status: 200 }
}

const get = (url: string): Effect.Effect<void, HttpError> =>
  Effect.gen(function* () {
    const { latency, status } = web[url] ?? { latency: 1, status: 404 }
    yield* Effect.sleep(latency)
    if (status >= 400) return yield* new HttpError({ url, status })
    yield* Console.log(`  GET ${url}: ${status}`)
  }).pipe(Effect.onInterrupt(() => Console.log(`  GET ${url}: cancelled`)))

const fetchAll = (urls: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const [ctx] = yield* GoContext.withTimeout(GoContext.background, "50 millis") // defer cancel(): the scope
    const g = yield* ErrGroup.make<HttpError | GoContext.ContextError>()
    for (const url of urls) yield* ErrGroup.go(g, GoContext.run(ctx, get(url)))
    const result = yield* Effect.result(ErrGroup.wait(g))
    const elapsed = (yield* Clock.currentTimeMillis) - started
    yield* Console.log(result._tag === "Failure" ? `failed: ${result.failure.message}` : "all ok")
    yield* Console.log(`  (Wait returned after ${elapsed} ms)`)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* Console.log("two fast URLs:")
  yield* fetchAll(["https://example.com", "https://example.org"])
  yield* Console.log("one URL slower than the 50 ms timeout:")
  yield* fetchAll(["https://example.com", "https://slow.example"])
  yield* Console.log("one URL answers 404 first:")
  yield* fetchAll(["https://example.net/missing", "https://example.org", "https://slow.example"])
})

export const example = Example.make({
  name: "errgroup-fetch-timeout",
  section: "Coordination Guide · errgroup With Context for Cancellation",
  title: "parallel fetches under a timeout: the first error or the deadline cancels the rest",
  uses: ["ErrGroup", "GoContext"],
  program,
  expected: [
    "two fast URLs:",
    "GET https://example.com: 200",
    "GET https://example.org: 200",
    "all ok",
    "(Wait returned after 20 ms)",
    "one URL slower than the 50 ms timeout:",
    "GET https://example.com: 200",
    "GET https://slow.example: cancelled",
    "failed: context deadline exceeded",
    "(Wait returned after 50 ms)",
    "one URL answers 404 first:",
    /GET https:\/\/(example\.org|slow\.example): cancelled/,
    /GET https:\/\/(example\.org|slow\.example): cancelled/,
    "failed: GET https://example.net/missing: 404",
    "(Wait returned after 5 ms)"
  ]
})

if (import.meta.main) Example.runMain(example)
