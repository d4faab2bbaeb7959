/**
 * Node's `worker_threads` for {@link Threads}: the platform a set of
 * threads runs on, and the runner of a thread's entry file. Built on
 * `@effect/platform-node`'s `NodeWorker` and `NodeWorkerRunner` (an
 * optional peer dependency of this package: install it to use this
 * module). The rest of the package never imports it, so it stays out of
 * browser bundles.
 *
 * A thread's entry file serves one task:
 *
 * ```ts
 * // digest.worker.ts (run as JavaScript on Node 20; Node 24 also loads .ts)
 * import { Effect } from "effect"
 * import * as NodeThreads from "effect-go/NodeThreads"
 * import { Digest } from "./digest.task.ts"
 *
 * NodeThreads.serve(Digest, ({ text, rounds }) => Effect.sync(() => digest(text, rounds)))
 * ```
 *
 * and the program provides the platform with that entry:
 * `Effect.provide(NodeThreads.layer(new URL("./digest.worker.js", import.meta.url)))`.
 *
 * @since 0.1.0
 */
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import * as Worker from "effect/workers/Worker"
import * as WorkerThreads from "node:worker_threads"
import * as Threads from "./Threads.ts"

/**
 * Options of the threads' `Worker`s (Node's `WorkerOptions`): memory
 * limits, `execArgv`, `env`, `argv`.
 *
 * @category models
 * @since 0.1.0
 */
export type ThreadOptions = Pick<
  WorkerThreads.WorkerOptions,
  "resourceLimits" | "execArgv" | "env" | "argv" | "stdout" | "stderr"
>

/**
 * The platform for {@link Threads.make}: each thread is a Node `Worker`
 * running `entry` (a file URL or path; its program calls {@link serve}).
 * Terminating a thread is `worker.terminate()`, at once.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Threads } from "effect-go"
 * import * as NodeThreads from "effect-go/NodeThreads"
 *
 * const Digest = Threads.task("Digest", {
 *   input: Schema.Struct({ text: Schema.String, rounds: Schema.Number }),
 *   output: Schema.String
 * })
 *
 * const program = Effect.gen(function* () {
 *   const threads = yield* Threads.make(Digest, { threads: 2 })
 *   return yield* Threads.run(threads, { text: "hello", rounds: 1000 })
 * }).pipe(Effect.scoped, Effect.provide(NodeThreads.layer(new URL("./digest.worker.js", import.meta.url))))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (entry: string | URL, options?: ThreadOptions): Layer.Layer<Threads.ThreadPlatform> =>
  Layer.effect(
    Threads.ThreadPlatform,
    Effect.gen(function* () {
      const platform = yield* Worker.WorkerPlatform
      const workers = new Map<number, WorkerThreads.Worker>()
      const spawner = Worker.layerSpawner((id) => {
        const worker = new WorkerThreads.Worker(entry, options)
        workers.set(id, worker)
        worker.once("exit", () => {
          if (workers.get(id) === worker) workers.delete(id)
        })
        return worker
      })
      return Threads.ThreadPlatform.of({
        spawn: (id) => platform.spawn<Threads.FromThread, Threads.ToThread>(id).pipe(Effect.provide(spawner)),
        terminate: (id) =>
          Effect.promise(async () => {
            const worker = workers.get(id)
            if (worker !== undefined) await worker.terminate()
          })
      })
    })
  ).pipe(Layer.provide(NodeWorker.layerPlatform))

/**
 * The program of a thread's entry file: serves `task`'s jobs with
 * `handler` until the threads are closed. Call it once, at the top of the
 * entry file.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Threads } from "effect-go"
 * import * as NodeThreads from "effect-go/NodeThreads"
 *
 * const Digest = Threads.task("Digest", {
 *   input: Schema.Struct({ text: Schema.String, rounds: Schema.Number }),
 *   output: Schema.String
 * })
 * declare const digest: (text: string, rounds: number) => string
 *
 * NodeThreads.serve(Digest, ({ text, rounds }) => Effect.sync(() => digest(text, rounds)))
 * ```
 *
 * @category thread side
 * @since 0.1.0
 */
export const serve = <I extends Schema.Top, O extends Schema.Top, E extends Schema.Top>(
  task: Threads.Task<I, O, E>,
  handler: (input: I["Type"]) => Effect.Effect<O["Type"], E["Type"]>
): void => {
  Effect.runFork(Threads.serve(task, handler).pipe(Effect.provide(NodeWorkerRunner.layer)))
}
