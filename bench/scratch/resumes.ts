// Counts fiber resumptions (AsyncResource.runInAsyncScope calls) per item in the spsc shapes:
//   npx node --experimental-strip-types bench/scratch/resumes.ts [shape filter] [capacity]
import { AsyncResource } from "node:async_hooks"
let count = 0
const orig = AsyncResource.prototype.runInAsyncScope
AsyncResource.prototype.runInAsyncScope = function (this: AsyncResource, ...args: Array<any>) {
  count++
  return (orig as any).apply(this, args)
}
;(globalThis as any).__resumes = () => {
  const c = count
  count = 0
  return c
}
await import("./shape.ts")
