import { contestantLabel, type RunConfig } from "../harness.ts"
import { makeRows } from "../rows.ts"
const [rowId, name, nArg = "20000", gcArg = "1"] = process.argv.slice(2)
const config: RunConfig = {
  quick: false,
  samples: 1,
  targetMs: 100,
  schedulers: ["default"],
  filter: undefined,
  log: console.log
}
const rows = makeRows(config)
const c = rows.find((r) => r.id === rowId)!.contestants.find((x) => x.name === name)!
const n = Number(nArg)
const gc = globalThis.gc as () => void
for (let r = 0; r < 12; r++) {
  if (gcArg === "1") {
    gc()
    gc()
  }
  const t0 = performance.now()
  await c.run(n)
  console.log(`${contestantLabel(c)} gc=${gcArg}: ${(((performance.now() - t0) * 1e6) / n).toFixed(0)} ns/op`)
}
