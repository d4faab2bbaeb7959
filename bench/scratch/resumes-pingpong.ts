// Counts fiber resumptions (AsyncResource.runInAsyncScope calls) per round trip of the ping-pong row.
//   npx node --experimental-strip-types bench/scratch/resumes-pingpong.ts
import { AsyncResource } from "node:async_hooks"
import * as Effect from "effect/Effect"
import { chanPingPong } from "../rows.ts"

let count = 0
const orig = AsyncResource.prototype.runInAsyncScope
AsyncResource.prototype.runInAsyncScope = function (this: AsyncResource, ...args: Array<any>) {
  count++
  return (orig as any).apply(this, args)
}
const n = 100_000
for (let r = 0; r < 3; r++) {
  count = 0
  const t0 = performance.now()
  await Effect.runPromise(chanPingPong(n))
  console.log(`${(((performance.now() - t0) * 1e6) / n).toFixed(0)} ns/round trip, ${(count / n).toFixed(3)} resumes/round trip`)
}
