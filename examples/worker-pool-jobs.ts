/**
 * Correctness & Trade-offs · "Patterns — 2. Worker Pool (The Throttle)": 3
 * workers, 5 jobs, a results channel closed by a fiber that waits for the
 * workers.
 *
 * Go:
 *   func worker(id int, jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {
 *       defer wg.Done()
 *       for j := range jobs {
 *           fmt.Printf("Worker %d started job %d\n", id, j)
 *           time.Sleep(100 * time.Millisecond)
 *           results <- j * 2
 *       }
 *   }
 *   func main() {
 *       jobs := make(chan int, 100); results := make(chan int, 100)
 *       var wg sync.WaitGroup
 *       for w := 1; w <= 3; w++ { wg.Add(1); go worker(w, jobs, results, &wg) }
 *       for j := 1; j <= 5; j++ { jobs <- j }
 *       close(jobs)
 *       go func() { wg.Wait(); close(results) }()
 *       for res := range results { fmt.Println("Result:", res) }
 *   }
 *
 * The directions in `worker`'s signature are types here too: `RecvChan`
 * (`<-chan int`) and `SendChan` (`chan<- int`). Work takes 10 ms instead of
 * 100 ms to keep the tour quick.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const worker = (id: number, jobs: Chan.RecvChan<number>, results: Chan.SendChan<number>) =>
  Chan.forEach(jobs, (j) =>
    Effect.gen(function* () {
      yield* Console.log(`Worker ${id} started job ${j}`)
      yield* Effect.sleep("10 millis") // Simulate work
      yield* Chan.send(results, j * 2)
    })
  ).pipe(Effect.orDie) // results is closed only after every worker is done: a failed send is a bug

const program = Effect.gen(function* () {
  const jobs = yield* Chan.make<number>(100)
  const results = yield* Chan.make<number>(100)
  const wg = yield* WaitGroup.make()

  // 1. Start a fixed number of workers.
  for (let w = 1; w <= 3; w++) yield* WaitGroup.go(wg, worker(w, jobs, results))

  // 2. Send jobs, then signal "no more jobs".
  for (let j = 1; j <= 5; j++) yield* Chan.send(jobs, j)
  yield* Chan.close(jobs)

  // 3. Wait and close results in a separate fiber.
  yield* Effect.forkScoped(WaitGroup.wait(wg).pipe(Effect.andThen(Chan.close(results))))

  // 4. Collect results.
  yield* Chan.forEach(results, (res) => Console.log(`Result: ${res}`))
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "worker-pool-jobs",
  section: "Correctness & Trade-offs · Patterns · 2. Worker Pool (The Throttle)",
  title: "3 workers, 5 jobs: range over jobs, WaitGroup closes results, main ranges over results",
  uses: ["Chan", "WaitGroup"],
  program,
  expected: [
    "Worker 1 started job 1",
    "Worker 2 started job 2",
    "Worker 3 started job 3",
    /Worker \d started job 4/,
    "Result: 2",
    "Result: 4",
    "Result: 6",
    "Result: 8",
    "Result: 10"
  ]
})

if (import.meta.main) Example.runMain(example)
