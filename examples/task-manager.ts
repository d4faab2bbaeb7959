/**
 * WaitGroup Deep Dive · "Advanced Concepts — 2. Dynamic Task Addition": a
 * TaskManager whose tasks may be added at any time — even by running tasks —
 * and whose `wait` returns once every task added so far, and every task those
 * added, has finished.
 *
 * Go:
 *   type TaskManager struct { wg sync.WaitGroup; tasksMu sync.Mutex; tasks []Task }
 *   func (tm *TaskManager) AddTask(t Task) {
 *       tm.tasksMu.Lock()
 *       tm.tasks = append(tm.tasks, t)
 *       tm.wg.Add(1)
 *       tm.tasksMu.Unlock()
 *       go func() { defer tm.wg.Done(); t.Execute() }()
 *   }
 *
 * Adding from a running task is safe because the task is counted before
 * its parent finishes: the counter cannot reach zero in between. In
 * effect-go, `WaitGroup.go` counts and forks in one step, so "Add before go"
 * holds by construction; the Mutex only guards the task list.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Task {
  readonly name: string
  readonly execute: (tm: TaskManager) => Effect.Effect<void>
}

interface TaskManager {
  readonly addTask: (task: Task) => Effect.Effect<void>
  readonly wait: Effect.Effect<void>
  readonly tasks: Effect.Effect<ReadonlyArray<string>>
}

const makeTaskManager = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const tasksMu = yield* Mutex.make()
  const tasks: Array<string> = []
  const tm: TaskManager = {
    addTask: (task) =>
      Effect.sync(() => tasks.push(task.name)).pipe(
        Mutex.withLock(tasksMu),
        Effect.andThen(
          WaitGroup.go(
            wg,
            Effect.suspend(() => task.execute(tm))
          )
        ),
        Effect.asVoid
      ),
    wait: WaitGroup.wait(wg),
    tasks: Effect.sync(() => [...tasks]).pipe(Mutex.withLock(tasksMu))
  }
  return tm
})

/** A task that works for a while, then adds `children` more tasks below it. */
const crawl = (name: string, depth: number): Task => ({
  name,
  execute: (tm) =>
    Effect.gen(function* () {
      yield* Effect.sleep(`${10 * depth} millis`)
      yield* Console.log(`executed ${name}`)
      if (depth < 3) {
        yield* tm.addTask(crawl(`${name}/a`, depth + 1))
        yield* tm.addTask(crawl(`${name}/b`, depth + 1))
      }
    })
})

const program = Effect.gen(function* () {
  const tm = yield* makeTaskManager
  yield* tm.addTask(crawl("root", 1))
  yield* tm.wait
  const tasks = yield* tm.tasks
  yield* Console.log(`wait returned after ${tasks.length} tasks: ${tasks.join(", ")}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "task-manager",
  section: "WaitGroup Deep Dive · Advanced Concepts · 2. Dynamic Task Addition",
  title: "a TaskManager whose running tasks add more tasks; wait covers them all",
  uses: ["WaitGroup", "Mutex"],
  program,
  expected: [
    "executed root",
    "executed root/a",
    "executed root/b",
    "executed root/a/a",
    "executed root/a/b",
    "executed root/b/a",
    "executed root/b/b",
    "wait returned after 7 tasks: root, root/a, root/b, root/a/a, root/a/b, root/b/a, root/b/b"
  ]
})

if (import.meta.main) Example.runMain(example)
