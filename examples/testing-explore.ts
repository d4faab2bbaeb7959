/**
 * Go Concurrency · "Data Race Gotchas" — and how Go finds them: "Always run
 * tests with `go test -race`". JavaScript has no memory-level data race, but
 * the same bug one level up: a check and the act that depends on it,
 * separated by a step where another fiber may run.
 *
 *   func (a *Account) Withdraw(amount int) error {
 *       if a.balance < amount { return ErrInsufficientFunds } // check
 *       a.ledger <- Entry{-amount}                            // a step between
 *       a.balance -= amount                                   // act
 *       return nil
 *   }
 *
 * Here the step between is a send on a buffered ledger channel with room,
 * which never blocks. Effect runs a fiber 2048 steps before it yields, so
 * in a plain run each withdrawal checks and acts without another fiber
 * running in between: the test passes every time, and the race ships. (Go's
 * race detector would flag `a.balance`; nothing flags it here.)
 *
 * `Testing.explore` runs the same program under seeded schedules: each seed
 * draws an op budget (`Scheduler.MaxOpsBeforeYield`, mostly small, so fibers
 * yield almost anywhere) and a scheduler, and the exploration stops at the
 * first run that breaks the model's invariant, with its seed. The seed alone
 * replays that run (`{ seed, runs: 1 }`; under `effect-go/vitest`,
 * `it.explore` prints `EFFECT_GO_SEED=<seed> npx vitest run <file> -t
 * '<test>'`). The fix, `Mutex.withLock` around the check and the act,
 * explores clean over the same seeds.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Testing from "../src/Testing.ts"
import * as Example from "./Example.ts"

/**
 * Ann and Bob withdraw 60 each, at once, from an account holding 100.
 * `trace` records what each saw and did (the explorer shows the last events
 * of a failing run).
 */
const withdrawals = (locked: boolean, trace: (event: string) => void = () => {}) =>
  Effect.gen(function* () {
    let balance = 100
    const mu = yield* Mutex.make({ name: "account" })
    const ledger = yield* Chan.make<number>(16, { name: "ledger" })
    const checkThenAct = (who: string, amount: number) =>
      Effect.gen(function* () {
        trace(`${who}:sees=${balance}`)
        if (balance < amount) return false // insufficient funds
        yield* Chan.send(ledger, -amount)
        balance -= amount
        trace(`${who}:takes=${amount}`)
        return true
      })
    const withdraw = (who: string, amount: number) =>
      locked ? Mutex.withLock(mu)(checkThenAct(who, amount)) : checkThenAct(who, amount)
    const paid = yield* Effect.all([withdraw("ann", 60), withdraw("bob", 60)], { concurrency: "unbounded" })
    return { balance, paid: paid.filter(Boolean).length }
  })

/** The test as a model: the balance never goes below zero. */
const model =
  (locked: boolean): Testing.Model =>
  (chaos) =>
    Effect.gen(function* () {
      const { balance, paid } = yield* withdrawals(locked, (event) => chaos.trace(event))
      chaos.count(2)
      if (balance < 0)
        return yield* chaos.fail(`overdrawn: balance ${balance} after ${paid} withdrawals of 60 from 100`)
    })

const SEED = 1
const RUNS = 500

const program = Effect.gen(function* () {
  // A plain test: run it, check the invariant. It never fails.
  let overdrawn = 0
  for (let i = 0; i < RUNS; i++) {
    const { balance } = yield* Effect.promise(() => Effect.runPromise(withdrawals(false)))
    if (balance < 0) overdrawn++
  }
  yield* Console.log(`plain runs (Effect.runPromise): ${RUNS} runs, ${overdrawn} overdrawn`)

  const report = yield* Testing.explore(model(false), { seed: SEED, runs: RUNS })
  const failure = report.failure
  if (failure === undefined) return yield* Console.log(`explored: no failure in ${report.runs} runs`)
  yield* Console.log(`\nTesting.explore from seed ${SEED}: failed after ${report.runs} runs`)
  yield* Console.log(Testing.formatFailure(failure))

  const replay = yield* Testing.explore(model(false), { seed: failure.seed, runs: 1 })
  yield* Console.log(
    `\nreplay { seed: ${failure.seed}, runs: 1 }: ${replay.failure === undefined ? "passed" : `${replay.failure.message}`} ` +
      `(same budget: ${replay.failure?.budget === failure.budget}, same fingerprint: ${replay.failure?.fingerprint === failure.fingerprint})`
  )

  const fixed = yield* Testing.explore(model(true), { seed: SEED, runs: RUNS })
  yield* Console.log(
    `\nwith Mutex.withLock around check and act: ${fixed.failure === undefined ? "no failure" : "FAILED"} in ${fixed.runs} runs`
  )
  yield* Console.log(Testing.formatReport(fixed))
})

export const example = Example.make({
  name: "testing-explore",
  section: "Go Concurrency · Data Race Gotchas (go test -race; a schedule explorer for check-then-act)",
  title:
    "a check-then-act overdraft that 500 plain runs never show: Testing.explore finds its seed, the seed replays it, Mutex.withLock explores clean",
  uses: ["Testing", "Mutex", "Chan"],
  program,
  expected: [
    "plain runs (Effect.runPromise): 500 runs, 0 overdrawn",
    "Testing.explore from seed 1: failed after 2 runs",
    /^failed at seed 2 \(MaxOpsBeforeYield 3, sync scheduler, 2 ops, fingerprint [0-9a-f]{8}, reproduced\)$/,
    "overdrawn: balance -20 after 2 withdrawals of 60 from 100",
    "last trace events: ann:sees=100 bob:sees=100 ann:takes=60 bob:takes=60",
    "replay: explore again with { seed: 2, runs: 1 }",
    "replay { seed: 2, runs: 1 }: overdrawn: balance -20 after 2 withdrawals of 60 from 100 (same budget: true, same fingerprint: true)",
    "with Mutex.withLock around check and act: no failure in 500 runs",
    /^500 runs \(seeds 1\.\.500; 258 default, 242 sync scheduler\) in [\d.]+ s, 1000 operations: \d+ ops\/s$/
  ]
})

if (import.meta.main) Example.runMain(example)
