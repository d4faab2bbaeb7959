/**
 * WaitGroup Deep Dive · "Advanced Usage Patterns — 1. Dynamic Worker Pool": a
 * fixed number of workers range over a task channel; the WaitGroup says when
 * the last one has finished.
 *
 * Go:
 *   func WorkerPool(tasks []Task, maxWorkers int) {
 *       wg := sync.WaitGroup{}
 *       taskCh := make(chan Task, len(tasks))
 *       for i := 0; i < maxWorkers; i++ {
 *           wg.Add(1)
 *           go func() {
 *               defer wg.Done()
 *               for task := range taskCh { task.Execute() }
 *           }()
 *       }
 *       for _, task := range tasks { taskCh <- task }
 *       close(taskCh)
 *       wg.Wait()
 *   }
 *
 * `WaitGroup.go` is `wg.Add(1); go func() { defer wg.Done(); ... }()` in one
 * step. The workers live in the pool's scope: if the caller is interrupted,
 * closing the scope stops them (Go's workers would keep running).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Task {
  readonly id: number
  readonly millis: number
}

const execute = (task: Task, worker: number) =>
  Effect.sleep(`${task.millis} millis`).pipe(
    Effect.andThen(Console.log(`worker ${worker} executed task ${task.id} (${task.millis} ms)`))
  )

const workerPool = (tasks: ReadonlyArray<Task>, maxWorkers: number) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const taskCh = yield* Chan.make<Task>(tasks.length)
    // Launch workers: each ranges over the channel until it is closed and drained.
    for (let i = 1; i <= maxWorkers; i++) {
      yield* WaitGroup.go(
        wg,
        Chan.forEach(taskCh, (task) => execute(task, i))
      )
    }
    // Send tasks, then close: the workers' ranges end once the channel is drained.
    for (const task of tasks) yield* Chan.send(taskCh, task)
    yield* Chan.close(taskCh)
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

const tasks: ReadonlyArray<Task> = [60, 10, 30, 15, 20, 5, 15].map((millis, i) => ({ id: i + 1, millis }))

const program = Effect.gen(function* () {
  yield* Console.log(`WorkerPool: ${tasks.length} tasks, 3 workers`)
  yield* workerPool(tasks, 3)
  yield* Console.log(`WorkerPool returned: all ${tasks.length} tasks executed, every worker has ended`)
})

export const example = Example.make({
  name: "waitgroup-worker-pool",
  section: "WaitGroup Deep Dive · Advanced Usage Patterns · 1. Dynamic Worker Pool",
  title: "maxWorkers fibers range over a task channel; WaitGroup.wait returns when the last one ends",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: [
    "WorkerPool: 7 tasks, 3 workers",
    "worker 2 executed task 2 (10 ms)",
    "worker 2 executed task 4 (15 ms)",
    "worker 3 executed task 3 (30 ms)",
    "worker 3 executed task 6 (5 ms)",
    "worker 2 executed task 5 (20 ms)",
    "worker 3 executed task 7 (15 ms)",
    "worker 1 executed task 1 (60 ms)",
    "WorkerPool returned: all 7 tasks executed, every worker has ended"
  ]
})

if (import.meta.main) Example.runMain(example)
