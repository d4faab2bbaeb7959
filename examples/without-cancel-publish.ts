/**
 * Go Concurrency · "Context Propagation · Don't Propagate Request Context to
 * Background Work": a handler starts a background publish with the request's
 * context, which is cancelled as soon as the response is written.
 *
 * Go:
 *   // Bug — context cancels when response is written
 *   func handler(w http.ResponseWriter, r *http.Request) {
 *     resp := doWork(r.Context())
 *     go publish(r.Context(), resp) // may cancel immediately
 *     writeResponse(w, resp)
 *   }
 *   // Fix — detach from request lifecycle
 *     go publish(context.WithoutCancel(r.Context()), resp)
 *
 * A small simulated server: every request gets a context carrying its
 * request id, cancelled when the handler has written the response. The
 * publish takes 20 ms and honours its context. `GoContext.withoutCancel`
 * keeps the values (the request id still reaches the publish log line) but
 * drops the cancellation.
 *
 * Detached does not mean unowned: the publishes are forked with
 * `WaitGroup.go` on the server's background group, which the server waits
 * for at shutdown ("no fire-and-forget goroutines"). The Effect-only
 * version of the same bug and fix is the last part: `Effect.forkChild` in
 * the handler ties the publish to the handler's fiber (interrupted when the
 * handler returns); forking it into the server's scope detaches it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const requestId = GoContext.key<string>("request-id")

const publish = (ctx: GoContext.GoContext, resp: string) =>
  Effect.gen(function* () {
    const id = Option.getOrElse(GoContext.value(ctx, requestId), () => "?")
    yield* Select.select(
      Select.after("20 millis", () => Console.log(`  [${id}] published ${resp}`)),
      Select.recv(GoContext.done(ctx), () =>
        Effect.flatMap(GoContext.err(ctx), (err) =>
          Console.log(
            `  [${id}] publish aborted: ${Option.match(err, { onNone: () => "?", onSome: (e) => e.message })}`
          )
        )
      )
    )
  })

type Handler = (ctx: GoContext.GoContext, background: WaitGroup.WaitGroup) => Effect.Effect<string>

// ❌ go publish(r.Context(), resp)
const handlerBuggy: Handler = (ctx, background) =>
  Effect.gen(function* () {
    const resp = "order #1 confirmed" // doWork(r.Context())
    yield* WaitGroup.go(background, publish(ctx, resp))
    return resp // writeResponse(w, resp)
  })

// ✅ go publish(context.WithoutCancel(r.Context()), resp)
const handlerFixed: Handler = (ctx, background) =>
  Effect.gen(function* () {
    const resp = "order #2 confirmed"
    yield* WaitGroup.go(background, publish(GoContext.withoutCancel(ctx), resp))
    return resp
  })

/** The server side of one request: a request context, cancelled once the response is written. */
const serve = (id: string, handler: Handler, background: WaitGroup.WaitGroup) =>
  Effect.gen(function* () {
    const [ctx, cancel] = yield* GoContext.withCancel(GoContext.withValue(GoContext.background, requestId, id))
    const resp = yield* handler(ctx, background)
    yield* Console.log(`  [${id}] response written: ${resp}`)
    yield* cancel // the request is over
  })

// Effect-only: the handler's fiber is the request's lifetime.
const effectOnly = (serverScope: Scope.Scope) =>
  Effect.gen(function* () {
    const slowPublish = (label: string) =>
      Effect.sleep("20 millis").pipe(
        Effect.andThen(Console.log(`  ${label}: published`)),
        Effect.onInterrupt(() => Console.log(`  ${label}: publish interrupted when the handler returned`))
      )
    const handle = (handler: Effect.Effect<unknown>) => Effect.flatMap(Effect.forkChild(handler), Fiber.join)
    // ❌ forkChild: the publish belongs to the handler's fiber
    yield* handle(Effect.forkChild(slowPublish("forkChild"), { startImmediately: true }))
    // ✅ forkIn the server's scope: outlives the handler, still owned (by the server)
    yield* handle(Effect.forkIn(slowPublish("forkIn(server scope)"), serverScope, { startImmediately: true }))
  })

const program = Effect.gen(function* () {
  const background = yield* WaitGroup.make({ name: "background publishes" })
  yield* Console.log("request context passed to the background publish:")
  yield* serve("req-1", handlerBuggy, background)
  yield* WaitGroup.wait(background)
  yield* Console.log("GoContext.withoutCancel(request context):")
  yield* serve("req-2", handlerFixed, background)
  yield* WaitGroup.wait(background) // server shutdown: wait for background work
  yield* Console.log("Effect fibers instead of contexts:")
  yield* effectOnly(yield* Effect.scope)
  yield* Effect.sleep("30 millis")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "without-cancel-publish",
  section: "Go Concurrency · Context Propagation · WithoutCancel",
  title: "background work started by a request must not inherit its cancellation: WithoutCancel keeps only the values",
  uses: ["GoContext", "WaitGroup", "Select"],
  program,
  expected: [
    "request context passed to the background publish:",
    "[req-1] response written: order #1 confirmed",
    "[req-1] publish aborted: context canceled",
    "GoContext.withoutCancel(request context):",
    "[req-2] response written: order #2 confirmed",
    "[req-2] published order #2 confirmed",
    "Effect fibers instead of contexts:",
    "forkChild: publish interrupted when the handler returned",
    "forkIn(server scope): published"
  ]
})

if (import.meta.main) Example.runMain(example)
