/**
 * Go Concurrency · "Bounded Parallelism", on every core: the MD5All of
 * bounded-parallelism-md5 with its digests computed on two threads.
 *
 * Go's digesters are goroutines, and Go runs goroutines on every core: with
 * `numDigesters = 2` on a two-core machine, two `md5.Sum` calls run at
 * once. Fibers share one JavaScript thread, so a CPU-bound step only runs
 * faster on threads of its own. Here the same shape — the paths go through
 * a fixed number of digesters — hands each file's bytes to one of two
 * threads:
 *
 *   const numDigesters = 2
 *   for i := 0; i < numDigesters; i++ {
 *     go func() {
 *       for path := range paths {
 *         data, err := os.ReadFile(path)
 *         c <- result{path, md5.Sum(data), err}
 *       }
 *     }()
 *   }
 *
 * - threads/md5.task.ts declares the job (a path and its bytes in, the path
 *   and its sum out) with Schemas, imported by this program and by the
 *   threads' entry file, threads/md5.worker.ts, which serves it with
 *   `node:crypto`;
 * - `Threads.make(Md5, { threads: 2 })` starts the threads in the scope
 *   (closing it terminates them), on `NodeThreads.layer(entry)`;
 * - `Pipeline.parallel(paths, digest, { workers: threads.size })` is the
 *   bounded parallelism: at most two paths at a time, each in a fiber of
 *   its own that hands its file to a thread through `Threads.run(threads)`
 *   and waits for its sum.
 *
 * The "files" are 64 generated buffers of 256 KiB (the same bytes on every
 * run); reading one returns a fresh copy, as `os.ReadFile` does, and the
 * copy moves to its thread without a second copy (its field is declared
 * `Transferable`). The sums are checked against the same MD5All on the
 * program's own thread.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as NodeThreads from "../src/NodeThreads.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Threads from "../src/Threads.ts"
import * as Example from "./Example.ts"
import { Md5 } from "./threads/md5.task.ts"

const numFiles = 64
const fileSize = 256 * 1024

/** The "disk": `numFiles` files of `fileSize` bytes, the same on every run (xorshift32 from the file's number). */
const makeDisk = (): ReadonlyMap<string, Uint8Array> => {
  const disk = new Map<string, Uint8Array>()
  for (let f = 0; f < numFiles; f++) {
    const words = new Uint32Array(fileSize / 4)
    let x = 0x9e3779b9 ^ (f + 1)
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      words[i] = x >>> 0
    }
    disk.set(`data/file-${String(f).padStart(2, "0")}.bin`, new Uint8Array(words.buffer))
  }
  return disk
}

interface Result {
  readonly path: string
  readonly sum: string
}

const md5 = (data: Uint8Array): string => createHash("md5").update(data).digest("hex")

const program = Effect.gen(function* () {
  const disk = makeDisk()
  const paths = [...disk.keys()].sort()
  // os.ReadFile: a fresh copy of the file's bytes.
  const readFile = (path: string) => Effect.sync(() => disk.get(path)!.slice().buffer)

  // MD5All on this thread: two digesters, but one core does all the hashing.
  let started = performance.now()
  const here = yield* Pipeline.parallel(
    paths,
    (path) => Effect.map(readFile(path), (data): Result => ({ path, sum: md5(new Uint8Array(data)) })),
    { workers: 2 }
  )
  const hereMs = performance.now() - started

  // MD5All on two threads: the same two digesters, each hashing on a thread of its own.
  const threads = yield* Threads.make(Md5, { threads: 2, name: "md5" })
  const digest = Threads.run(threads)
  started = performance.now()
  const moved = { before: 0, after: 0 }
  const sums = yield* Pipeline.parallel(
    paths,
    (path) =>
      Effect.flatMap(readFile(path), (data) => {
        moved.before += data.byteLength
        return Effect.ensuring(
          digest({ path, data }),
          Effect.sync(() => {
            moved.after += data.byteLength
          })
        )
      }),
    { workers: threads.size, ordered: false }
  )
  const threadsMs = performance.now() - started

  const sorted = [...sums].sort((a, b) => a.path.localeCompare(b.path))
  for (const { path, sum } of sorted.slice(0, 3)) yield* Console.log(`${sum}  ${path}`)
  yield* Console.log(
    `... ${sorted.length} files (${(numFiles * fileSize) / 1024 / 1024} MiB) hashed on ${threads.size} threads`
  )
  yield* Console.log(`bytes moved to the threads: ${moved.before}; left in the sent buffers: ${moved.after}`)
  yield* Console.log(
    `same sums as on one thread: ${sorted.every((r, i) => r.path === here[i]!.path && r.sum === here[i]!.sum)}`
  )
  yield* Console.log(
    `one thread: ${hereMs.toFixed(0)} ms; ${threads.size} threads: ${threadsMs.toFixed(0)} ms (timings vary from run to run)`
  )
}).pipe(Effect.scoped, Effect.provide(NodeThreads.layer(new URL("./threads/md5.worker.ts", import.meta.url))))

export const example = Example.make({
  name: "bounded-parallelism-md5-threads",
  section: "Go Concurrency · Bounded Parallelism",
  title: "the same MD5All with its digests on two threads: Threads.run as a Pipeline stage's function",
  uses: ["Threads", "NodeThreads", "Pipeline"],
  program,
  expected: [
    "92d9dd7c8dbd5f180763bfbc15ca9fb0  data/file-00.bin",
    "fc7981a9811dc4093915a9fc2d37c6ab  data/file-01.bin",
    "f57286c525a76ef69fe3251f3311bf2d  data/file-02.bin",
    "... 64 files (16 MiB) hashed on 2 threads",
    "bytes moved to the threads: 16777216; left in the sent buffers: 0",
    "same sums as on one thread: true"
  ]
})

if (import.meta.main) Example.runMain(example)
