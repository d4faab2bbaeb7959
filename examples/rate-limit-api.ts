/**
 * Correctness & Trade-offs · "Patterns — 2. Worker Pool (The Throttle)", by
 * rate instead of by count: a worker pool bounds how many calls run at once;
 * an upstream API usually bounds how many start per second. Go's answer is
 * `golang.org/x/time/rate`; effect-go's is `Rate`, the same token bucket.
 *
 * Go:
 *   lim := rate.NewLimiter(rate.Every(100*time.Millisecond), 3) // 10/s, bursts of 3
 *   for i := 1; i <= 8; i++ {
 *       g.Go(func() error {
 *           if err := lim.Wait(ctx); err != nil { return err }
 *           return fetch(ctx, i)
 *       })
 *   }
 *   // and on the serving side, drop what is above the rate:
 *   if !quota.Allow() { http.Error(w, "slow down", http.StatusTooManyRequests); return }
 *
 * Here eight fibers fetch through one limiter: three start at once (the
 * burst), then one every 100 ms. A request cancelled while it waits (here
 * by a timeout) gives its token back, so the requests behind it do not wait
 * for it. The serving side declares its quota as a service
 * (`Rate.Service`): the layer decides the limit in one place, and in
 * production `RedisSync.layerLimiter(Quota, { limit, burst })` would share
 * it between every process of the service instead.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Rate } from "../src/index.ts"
import * as Example from "./Example.ts"

/** The upstream call: instant here; what matters is when it starts. */
const fetch = (i: number, start: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Console.log(`fetch ${i} started at ${Math.round((now - start) / 10) * 10} ms`)
  )

/** The client: eight fetches through one limiter of 10 per second with bursts of 3. */
const client = Effect.gen(function* () {
  const lim = yield* Rate.make(Rate.every("100 millis"), 3, { name: "upstream" })
  const start = yield* Clock.currentTimeMillis
  yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], (i) => Effect.andThen(Rate.wait(lim), fetch(i, start)), {
    concurrency: "unbounded",
    discard: true
  })
  // A fetch that gives up after 50 ms while waiting for its turn (2 are booked ahead of it)
  // cancels its booking: the one after it is not held up by it.
  const impatient = Rate.waitN(lim, 1).pipe(Effect.timeoutOption("50 millis"))
  yield* Effect.forEach([1, 2], () => Rate.reserve(lim), { discard: true })
  const gaveUp = yield* impatient
  const tokens = yield* Rate.tokens(lim)
  yield* Console.log(
    `an impatient fetch ${gaveUp._tag === "None" ? "gave up" : "went"} after 50 ms; its token went back: tokens now ${tokens.toFixed(1)}`
  )
})

/** The serving side: a quota of 2 requests per second, declared once. */
class Quota extends Rate.Service<Quota>()("api/Quota") {}

const handle = (request: number) =>
  Effect.flatMap(Quota.allow, (ok) => Console.log(`request ${request}: ${ok ? "200 OK" : "429 Too Many Requests"}`))

const server = Effect.gen(function* () {
  // Five requests arrive at once: the burst of 2 is served, the rest dropped.
  yield* Effect.forEach([1, 2, 3, 4, 5], handle, { discard: true })
  // Half a second later, one token has come back.
  yield* Effect.sleep("500 millis")
  yield* handle(6)
  yield* handle(7)
}).pipe(Effect.provide(Quota.layer({ limit: 2, burst: 2 })))

const program = Effect.andThen(client, server)

export const example = Example.make({
  name: "rate-limit-api",
  section: "Correctness & Trade-offs · Patterns · 2. Worker Pool (The Throttle), by rate: golang.org/x/time/rate",
  title:
    "Rate.wait holds fetches to 10 per second with bursts of 3; a cancelled wait gives its token back; Rate.Service's allow drops requests above a quota with 429",
  uses: ["Rate"],
  program,
  expected: [
    /^fetch [123] started at 0 ms$/,
    /^fetch [123] started at 0 ms$/,
    /^fetch [123] started at 0 ms$/,
    /^fetch 4 started at 100 ms$/,
    /^fetch 5 started at 200 ms$/,
    /^fetch 6 started at 300 ms$/,
    /^fetch 7 started at 400 ms$/,
    /^fetch 8 started at 500 ms$/,
    /^an impatient fetch gave up after 50 ms; its token went back: tokens now -1\.5$/,
    "request 1: 200 OK",
    "request 2: 200 OK",
    "request 3: 429 Too Many Requests",
    "request 4: 429 Too Many Requests",
    "request 5: 429 Too Many Requests",
    "request 6: 200 OK",
    "request 7: 429 Too Many Requests"
  ]
})

if (import.meta.main) Example.runMain(example)
