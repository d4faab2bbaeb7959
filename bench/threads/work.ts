/**
 * The CPU-bound work of the threads row: a deterministic loop (a xorshift32
 * generator folded into an FNV-1a hash), `iterations` steps of pure
 * JavaScript with no allocation. The same loop runs in-process, on the
 * threads (worker.ts, raw.worker.ts) and in Go (go/main.go), and the row
 * calibrates `iterations` once to the job duration it wants.
 */
export const work = (iterations: number): number => {
  let x = 0x9e3779b9 | 0
  let h = 0x811c9dc5 | 0
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    h = Math.imul(h ^ (x & 0xff), 0x01000193)
  }
  return h >>> 0
}

let sink = 0
let lastEnd = -1

/**
 * A thread's job: runs the loop and returns how long (µs) the thread was
 * idle between the end of its previous job and the start of this one (0
 * for its first job). The loop's hash is kept, so that it is computed.
 */
export const timedWork = (iterations: number): number => {
  const start = performance.now()
  const idle = lastEnd < 0 ? 0 : (start - lastEnd) * 1000
  sink ^= work(iterations)
  lastEnd = performance.now()
  return idle + (sink & 0)
}
