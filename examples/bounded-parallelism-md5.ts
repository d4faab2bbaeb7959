/**
 * Go Concurrency · "Bounded Parallelism": MD5 sums of every file under a
 * directory, computed by a fixed number of workers that read paths from one
 * channel (the Go blog's MD5All, with `done` for cancellation).
 *
 * Go:
 *   const numWorkers = 20
 *   paths, errc := walkFiles(done, root)
 *   c := make(chan result)
 *   var wg sync.WaitGroup
 *   wg.Add(numWorkers)
 *   for i := 0; i < numWorkers; i++ {
 *     go func() {
 *       defer wg.Done()
 *       for path := range paths {
 *         data, err := os.ReadFile(path)
 *         select {
 *         case c <- result{path, md5.Sum(data), err}:
 *         case <-done: return
 *         }
 *       }
 *     }()
 *   }
 *   go func() { wg.Wait(); close(c) }()
 *
 * Real files: the example makes a temporary directory with a few files
 * (deleted when its scope closes) and reads them through Effect's
 * `FileSystem` service, provided by `@effect/platform-node`'s
 * `NodeFileSystem.layer`; `node:crypto` computes the sums. Three workers
 * here instead of twenty, for five files. A failed read is returned like
 * Go's `result.err`; `md5All` then returns it and closes `done`, which stops
 * the walker and the workers.
 *
 * The Pipeline module has the whole shape in one call: the last part hashes
 * the same paths with `Pipeline.parallel(paths, md5File, { workers: 3 })`.
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type { PlatformError } from "effect/PlatformError"
import { createHash } from "node:crypto"
import { join, relative } from "node:path"
import * as Chan from "../src/Chan.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Select from "../src/Select.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const numWorkers = 3

interface Result {
  readonly path: string
  readonly sum: string
  readonly err: PlatformError | undefined
}

/** Sends the path of every regular file under `root`; the walk's error (or undefined) goes to `errc`. */
const walkFiles = (done: Chan.RecvChan<void>, root: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Chan.make<string>()
    const errc = yield* Chan.make<PlatformError | undefined>(1)
    // Returns false once `done` is closed: stop walking.
    const walk = (dir: string): Effect.Effect<boolean, PlatformError> =>
      Effect.gen(function* () {
        const entries = [...(yield* fs.readDirectoryEntries(dir))].sort((a, b) => a.name.localeCompare(b.name))
        for (const entry of entries) {
          const path = join(dir, entry.name)
          if (entry.type === "Directory") {
            if (!(yield* walk(path))) return false
          } else if (entry.type === "File") {
            const sent = yield* Effect.orDie(
              Select.select(
                Select.send(paths, path, () => Effect.succeed(true)),
                Select.recv(done, () => Effect.succeed(false))
              )
            )
            if (!sent) return false
          }
        }
        return true
      })
    yield* Effect.forkScoped(
      walk(root).pipe(
        Effect.result,
        Effect.flatMap((r) => Chan.send(errc, r._tag === "Failure" ? r.failure : undefined)),
        Effect.ensuring(Effect.ignore(Chan.close(paths))), // defer close(paths)
        Effect.orDie
      )
    )
    return { paths: paths as Chan.RecvChan<string>, errc: errc as Chan.RecvChan<PlatformError | undefined> }
  })

/** Go's MD5All: the sums of every file under `root`, or the first error. */
const md5All = (root: string, stats: { inFlight: number; maxInFlight: number }) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const done = yield* Chan.make<void>()
    yield* Effect.addFinalizer(() => Effect.ignore(Chan.close(done))) // defer close(done)

    const { paths, errc } = yield* walkFiles(done, root)
    const c = yield* Chan.make<Result>()
    const wg = yield* WaitGroup.make()
    for (let i = 0; i < numWorkers; i++) {
      const readOne = (path: string) =>
        Effect.gen(function* () {
          stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight)
          const data = yield* Effect.result(fs.readFile(path))
          stats.inFlight--
          const result: Result =
            data._tag === "Success"
              ? { path, sum: createHash("md5").update(data.success).digest("hex"), err: undefined }
              : { path, sum: "", err: data.failure }
          return yield* Select.select(
            Select.send(c, result, () => Effect.succeed(true)),
            Select.recv(done, () => Effect.succeed(false))
          )
        })
      const worker = Effect.gen(function* () {
        while (true) {
          const path = yield* Chan.recv(paths) // for path := range paths
          if (path._tag === "None") return
          if (!(yield* readOne(path.value))) return
        }
      })
      yield* WaitGroup.go(wg, Effect.orDie(worker))
    }
    yield* Effect.forkScoped(Effect.andThen(WaitGroup.wait(wg), Effect.ignore(Chan.close(c))))

    const sums = new Map<string, string>()
    while (true) {
      const r = yield* Chan.recv(c)
      if (r._tag === "None") break
      if (r.value.err !== undefined) return yield* Effect.fail(r.value.err) // done closes: everyone stops
      sums.set(r.value.path, r.value.sum)
    }
    const walkErr = yield* Chan.recv(errc)
    if (walkErr._tag === "Some" && walkErr.value !== undefined) return yield* Effect.fail(walkErr.value)
    return sums
  }).pipe(Effect.scoped)

const files: ReadonlyArray<readonly [string, string]> = [
  ["a.txt", "hello, world\n"],
  ["b.txt", "effect-go\n"],
  ["docs/empty.txt", ""],
  ["docs/fox.txt", "The quick brown fox jumps over the lazy dog"],
  ["docs/more/select.txt", "channels and select\n"]
]

const program = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const root = yield* fs.makeTempDirectoryScoped({ prefix: "effect-go-md5-" })
  for (const [name, content] of files) {
    yield* fs.makeDirectory(join(root, name, ".."), { recursive: true })
    yield* fs.writeFileString(join(root, name), content)
  }
  const stats = { inFlight: 0, maxInFlight: 0 }
  const sums = yield* md5All(root, stats)
  for (const path of [...sums.keys()].sort()) yield* Console.log(`${sums.get(path)}  ${relative(root, path)}`)
  yield* Console.log(`${sums.size} files hashed by ${numWorkers} workers; at most ${stats.maxInFlight} read at once`)

  const paths = [...sums.keys()].sort()
  const md5File = (path: string) =>
    Effect.map(fs.readFile(path), (data) => createHash("md5").update(data).digest("hex"))
  const again = yield* Pipeline.parallel(paths, md5File, { workers: numWorkers })
  yield* Console.log(
    `Pipeline.parallel with ${numWorkers} workers: same sums: ${again.every((s, i) => s === sums.get(paths[i]!))}`
  )

  const missing = yield* Effect.result(md5All(join(root, "no-such-dir"), stats))
  yield* Console.log(
    missing._tag === "Failure" ? `missing directory: ${missing.failure.reason._tag} error returned` : "no error?"
  )
}).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer))

export const example = Example.make({
  name: "bounded-parallelism-md5",
  section: "Go Concurrency · Bounded Parallelism",
  title: "MD5 of every file under a directory with a fixed number of workers reading one channel",
  uses: ["Chan", "Select", "WaitGroup", "Pipeline"],
  program,
  expected: [
    "22c3683b094136c3398391ae71b20f04  a.txt",
    "3344179eee7413e0ecec61d70d2deb91  b.txt",
    "d41d8cd98f00b204e9800998ecf8427e  docs/empty.txt",
    "9e107d9d372bb6826bd81d3542a419d6  docs/fox.txt",
    "b7f4b534b8774f83daf460ab2dad6343  docs/more/select.txt",
    /^5 files hashed by 3 workers; at most [1-3] read at once$/,
    "Pipeline.parallel with 3 workers: same sums: true",
    "missing directory: NotFound error returned"
  ]
})

if (import.meta.main) Example.runMain(example)
