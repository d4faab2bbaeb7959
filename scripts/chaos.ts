/**
 * The chaos suite's long runner: `npm run chaos -- [options]`.
 *
 *   --minutes M      explore for M minutes (shared between the models run)
 *   --runs N         or for N runs per model
 *   --seed S         the first seed (default: a random one); with neither
 *                    --minutes nor --runs, replays exactly that seed
 *   --model NAME     chan | locks | groups | pipeline (default: every model in turn)
 *   --quiet          no progress lines
 *
 * Each run is a seeded schedule (see src/internal/explore.ts). Prints
 * operations, runs, seeds and operations per second; exits with status 1 and
 * the replay line on the first failure.
 */
import * as Explore from "../src/internal/explore.ts"
import { type ModelName, modelNames, models, replayCommand } from "../test/chaos/models.ts"

const usage = `usage: npm run chaos -- [--minutes M | --runs N] [--seed S] [--model ${modelNames.join("|")}] [--quiet]`

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return undefined
  const value = args[i + 1]
  if (value === undefined || value.startsWith("--")) {
    console.error(`--${name} needs a value\n${usage}`)
    process.exit(2)
  }
  return value
}
const number = (name: string, valid: (n: number) => boolean): number | undefined => {
  const text = option(name)
  if (text === undefined) return undefined
  const n = Number(text)
  if (!valid(n)) {
    console.error(
      `--${name}: got ${JSON.stringify(text)}, wanted ${name === "minutes" ? "a positive number" : "a non-negative integer"}\n${usage}`
    )
    process.exit(2)
  }
  return n
}
for (const arg of args) {
  if (arg.startsWith("--") && !["--minutes", "--runs", "--seed", "--model", "--quiet"].includes(arg)) {
    console.error(`unknown option ${arg}\n${usage}`)
    process.exit(2)
  }
}

const minutes = number("minutes", (n) => Number.isFinite(n) && n > 0)
const runs = number("runs", (n) => Number.isSafeInteger(n) && n > 0)
const seed = number("seed", (n) => Number.isSafeInteger(n) && n >= 0)
const modelArg = option("model")
const quiet = args.includes("--quiet")
if (modelArg !== undefined && !modelNames.includes(modelArg as ModelName)) {
  console.error(`--model: got ${JSON.stringify(modelArg)}, wanted one of ${modelNames.join(", ")}\n${usage}`)
  process.exit(2)
}
const chosen: ReadonlyArray<ModelName> = modelArg === undefined ? modelNames : [modelArg as ModelName]
const replaying = seed !== undefined && minutes === undefined && runs === undefined

let totalOps = 0
let totalRuns = 0
const started = Date.now()
for (const name of chosen) {
  const firstSeed = seed ?? Explore.randomSeed()
  let lastPrint = Date.now()
  const report = await Explore.explorePromise(models[name], {
    seed: firstSeed,
    runs: replaying ? 1 : runs,
    maxMillis: minutes === undefined ? undefined : (minutes * 60_000) / chosen.length,
    replay: (s) => replayCommand(name, s),
    onRun: (_run, progress) => {
      if (quiet || replaying || Date.now() - lastPrint < 10_000) return
      lastPrint = Date.now()
      console.log(`  ${name}: ${Explore.formatReport(progress)}`)
    }
  })
  totalOps += report.ops
  totalRuns += report.runs
  console.log(`${name}: ${Explore.formatReport(report)}`)
  if (replaying && report.failure === undefined) {
    console.log(`${name}: seed ${seed} passed (${JSON.stringify(Explore.configOf(seed))})`)
  }
  if (report.failure !== undefined) {
    console.error(`\n${name}: ${Explore.formatFailure(report.failure)}`)
    process.exit(1)
  }
}
const seconds = (Date.now() - started) / 1000
console.log(
  `chaos: ${totalRuns} runs, ${totalOps} operations in ${seconds.toFixed(1)} s (${Math.round(totalOps / seconds)} ops/s), no failure`
)
