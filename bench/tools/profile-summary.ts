/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): the functions with the
 * most self time, and with the most inclusive time, with their files, as a
 * share of the profile's total. Take the profile of one contestant
 * (bench/tools/one.ts) or of a filtered suite run:
 *
 *   npx node --cpu-prof --cpu-prof-dir=bench/profiles --experimental-strip-types \
 *     --no-warnings --expose-gc bench/run.ts --filter pingpong --sched default
 *   npx node --experimental-strip-types --no-warnings \
 *     bench/tools/profile-summary.ts bench/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const file = process.argv[2]
if (file === undefined) {
  console.error("usage: profile-summary.ts FILE.cpuprofile [top]")
  process.exit(2)
}
const top = Number(process.argv[3] ?? 30)
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const selfTime = new Map<number, number>()
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0
  total += dt
  selfTime.set(profile.samples[i]!, (selfTime.get(profile.samples[i]!) ?? 0) + dt)
}

const key = (n: Node): string => {
  const url = n.callFrame.url.replace(/^.*\/node_modules\//, "").replace(/^.*\/(src|bench)\//, "$1/")
  return `${n.callFrame.functionName || "(anonymous)"}  ${url}:${n.callFrame.lineNumber + 1}`
}

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
for (const [id, t] of selfTime) {
  const n = byId.get(id)!
  self.set(key(n), (self.get(key(n)) ?? 0) + t)
  // Inclusive: count each distinct function once per sample stack.
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!)
    if (seen.has(k)) continue
    seen.add(k)
    inclusive.set(k, (inclusive.get(k) ?? 0) + t)
  }
}

const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms)`)
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`)
  }
}
show("Self time", self)
show("Inclusive time", inclusive)
