/**
 * Coordination Guide · "Common Mistakes and Gotchas" #4: leaking goroutines on
 * error paths.
 *
 * Go:
 *   // ❌ returns on the first error; the other senders block on errc forever
 *   func fetchAll(urls []string) error {
 *     errc := make(chan error)
 *     for _, u := range urls { go func() { errc <- fetch(u) }() }
 *     for range urls {
 *       if err := <-errc; err != nil { return err }
 *     }
 *     return nil
 *   }
 *   // ✅ Use errgroup.WithContext or explicit done channels to cancel others
 *
 * The example writes that function three times and counts the fibers left
 * alive after it returned, with `FiberMonitor` (Go's
 * `runtime.NumGoroutine`):
 * - with `Effect.forkDetach`, the one fork that escapes structured
 *   concurrency and the only way to write Go's fire-and-forget `go`: the
 *   other senders leak, exactly as in Go (the example then interrupts them
 *   by hand, which Go cannot do);
 * - with `Effect.forkScoped`: the same code, but the senders belong to the
 *   function's scope, and returning early closes it — nothing leaks;
 * - with `ErrGroup`: the first failure interrupts the other tasks, and
 *   `wait` returns the error.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Chan from "../src/Chan.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as Example from "./Example.ts"

class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}

const urls = ["https://down.example", "https://a.example", "https://b.example", "https://c.example"]

const fetch = (url: string) =>
  url.includes("down") ? Effect.fail(new FetchError({ url })).pipe(Effect.delay("5 millis")) : Effect.sleep("10 millis")

/** Go's fetchAll, with `go` spelled as `fork`. */
const fetchAll = <R>(fork: (task: Effect.Effect<void>) => Effect.Effect<unknown, never, R>) =>
  Effect.gen(function* () {
    const errc = yield* Chan.make<FetchError | undefined>()
    for (const url of urls) {
      const send = fetch(url).pipe(
        Effect.result,
        Effect.flatMap((r) => Chan.send(errc, r._tag === "Failure" ? r.failure : undefined)),
        Effect.orDie
      )
      yield* fork(send) // go func() { errc <- fetch(u) }()
    }
    for (let i = 0; i < urls.length; i++) {
      const err = Option.getOrUndefined(yield* Chan.recv(errc))
      if (err !== undefined) return yield* Effect.fail(err) // early return
    }
  })

const measure = <E>(label: string, run: Effect.Effect<void, E>) =>
  Effect.gen(function* () {
    const monitor = FiberMonitor.make()
    const result = yield* Effect.result(FiberMonitor.track(monitor, run))
    yield* Effect.sleep("20 millis") // every fetch has finished by now
    yield* Console.log(
      `${label}: ${result._tag === "Failure" ? "returned the error" : "ok"}; ` +
        `${FiberMonitor.live(monitor)} fibers still alive`
    )
  })

const program = Effect.gen(function* () {
  // ❌ fire-and-forget
  const detached: Array<Fiber.Fiber<unknown, unknown>> = []
  yield* measure(
    "forkDetach (Go's go)",
    fetchAll((task) => Effect.map(Effect.forkDetach(task), (f) => detached.push(f)))
  )
  yield* Effect.forEach(detached, Fiber.interrupt) // the clean-up Go cannot do

  // ✅ the same code, the senders owned by the function's scope
  yield* measure("forkScoped", Effect.scoped(fetchAll(Effect.forkScoped)))

  // ✅ errgroup
  yield* measure(
    "ErrGroup",
    Effect.scoped(
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<FetchError>()
        for (const url of urls) yield* ErrGroup.go(g, fetch(url))
        yield* ErrGroup.wait(g)
      })
    )
  )
})

export const example = Example.make({
  name: "mistakes-leak-on-error",
  section: "Coordination Guide · Common Mistakes #4 (leaking goroutines on error paths)",
  title: "an early return strands the other senders; a scope or an ErrGroup stops them",
  uses: ["Chan", "ErrGroup", "FiberMonitor"],
  program,
  expected: [
    "forkDetach (Go's go): returned the error; 3 fibers still alive",
    "forkScoped: returned the error; 0 fibers still alive",
    "ErrGroup: returned the error; 0 fibers still alive"
  ],
  // the forkDetach senders are blocked on a channel no one will receive from
  deadlocksOnPurpose: true
})

if (import.meta.main) Example.runMain(example)
