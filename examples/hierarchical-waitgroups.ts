/**
 * WaitGroup Deep Dive · "Advanced Concepts — 3. Hierarchical WaitGroups": each
 * task of a parent group fans out subtasks on a WaitGroup of its own and
 * counts as done in the parent only when all of its subtasks are.
 *
 * Go:
 *   type HierarchicalTask struct { parentWg *sync.WaitGroup; localWg sync.WaitGroup; subtasks []Task }
 *   func (ht *HierarchicalTask) Execute() {
 *       defer ht.parentWg.Done()
 *       for _, task := range ht.subtasks {
 *           ht.localWg.Add(1)
 *           go func(t Task) { defer ht.localWg.Done(); t.Execute() }(task)
 *       }
 *       ht.localWg.Wait()
 *   }
 *
 * Scopes nest the same way: each local WaitGroup lives in its task's scope,
 * inside the parent group's, so interrupting the parent would stop every
 * subtask below it too.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Task {
  readonly name: string
  readonly millis: number
}

interface HierarchicalTask {
  readonly name: string
  readonly subtasks: ReadonlyArray<Task>
}

const executeTask = (task: Task) => Effect.sleep(`${task.millis} millis`)

/** Runs every subtask on a local WaitGroup and returns when they are all done. */
const execute = (ht: HierarchicalTask) =>
  Effect.gen(function* () {
    const localWg = yield* WaitGroup.make()
    for (const task of ht.subtasks) yield* WaitGroup.go(localWg, executeTask(task))
    yield* WaitGroup.wait(localWg)
    yield* Console.log(`${ht.name}: ${ht.subtasks.length} subtasks done`)
  }).pipe(Effect.scoped)

const groups: ReadonlyArray<HierarchicalTask> = [
  {
    name: "group A",
    subtasks: [
      { name: "a1", millis: 30 },
      { name: "a2", millis: 10 },
      { name: "a3", millis: 20 }
    ]
  },
  {
    name: "group B",
    subtasks: [
      { name: "b1", millis: 10 },
      { name: "b2", millis: 15 }
    ]
  },
  {
    name: "group C",
    subtasks: [
      { name: "c1", millis: 45 },
      { name: "c2", millis: 5 },
      { name: "c3", millis: 25 }
    ]
  }
]

const program = Effect.gen(function* () {
  const parentWg = yield* WaitGroup.make()
  for (const ht of groups) yield* WaitGroup.go(parentWg, execute(ht))
  yield* Console.log(`parent: waiting for ${yield* WaitGroup.count(parentWg)} groups`)
  yield* WaitGroup.wait(parentWg)
  yield* Console.log("parent: all groups done")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "hierarchical-waitgroups",
  section: "WaitGroup Deep Dive · Advanced Concepts · 3. Hierarchical WaitGroups",
  title: "each parent task waits on its own WaitGroup of subtasks; the parent group waits on the tasks",
  uses: ["WaitGroup"],
  program,
  expected: [
    "parent: waiting for 3 groups",
    "group B: 2 subtasks done",
    "group A: 3 subtasks done",
    "group C: 3 subtasks done",
    "parent: all groups done"
  ]
})

if (import.meta.main) Example.runMain(example)
