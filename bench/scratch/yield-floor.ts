// The Effect floor of the bounded row: 100 long-lived fibers, each running
// 100 of the 10k tasks (Effect.yieldNow) back to back: no pool, no fork per task.
import * as Effect from "effect/Effect"
import { times } from "../harness.ts"
const N = 10_000
const eff = Effect.forEach(Array.from({ length: 100 }), () => times(N / 100, () => Effect.yieldNow), {
  concurrency: "unbounded",
  discard: true
})
const out: Array<number> = []
for (let r = 0; r < 12; r++) {
  const t0 = performance.now()
  await Effect.runPromise(eff)
  out.push(((performance.now() - t0) * 1e6) / N)
}
console.log(`100 fibers × 100 yields: ${out.slice(4).map((x) => x.toFixed(0)).join(" ")} ns per yield`)
const p = async () => {
  const out2: Array<number> = []
  for (let r = 0; r < 12; r++) {
    const t0 = performance.now()
    await Promise.all(Array.from({ length: 100 }, async () => { for (let i = 0; i < N / 100; i++) await undefined }))
    out2.push(((performance.now() - t0) * 1e6) / N)
  }
  console.log(`100 async fns × 100 awaits: ${out2.slice(4).map((x) => x.toFixed(0)).join(" ")} ns per await`)
}
await p()
