/**
 * Modules that other engineers are still writing (WaitGroup, Semaphore,
 * ErrGroup, WorkerPool) are loaded at run time, so that the benchmark suite
 * typechecks and runs whether or not they exist yet. Each one is described by
 * the small structural interface the rows use; a module that is missing, or
 * lacks one of those exports, turns its rows into skipped "pending" rows that
 * say why.
 */
import { existsSync } from "node:fs"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

type Eff<A = void> = Effect.Effect<A, unknown, never>

/** src/WaitGroup.ts as the rows use it: `make`, `go` (add + fork), `wait`. */
export interface WaitGroupModule {
  readonly make: () => Effect.Effect<unknown, unknown, Scope.Scope | never>
  readonly go: (wg: unknown, effect: Eff<unknown>) => Eff
  readonly wait: (wg: unknown) => Eff
}

/** src/Semaphore.ts (Go's semaphore.Weighted). */
export interface SemaphoreModule {
  readonly make: (size: number) => Eff<unknown>
  readonly acquire: (sem: unknown, n: number) => Eff
  readonly release: (sem: unknown, n: number) => Eff
  readonly withPermits: (sem: unknown, n: number) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Eff<A>
}

/** src/ErrGroup.ts (Go's errgroup with SetLimit). */
export interface ErrGroupModule {
  readonly make: (options?: { readonly limit?: number }) => Effect.Effect<unknown, unknown, Scope.Scope>
  readonly go: (group: unknown, effect: Eff<unknown>) => Eff
  readonly wait: (group: unknown) => Eff
}

/** src/WorkerPool.ts: a fixed pool of workers on a job channel. */
export interface WorkerPoolModule {
  readonly make: (options: {
    readonly workers: number
    readonly process: (job: number) => Eff<unknown>
    readonly queue?: number
  }) => Effect.Effect<unknown, unknown, Scope.Scope>
  readonly submit: (pool: unknown, job: number) => Eff<unknown>
  readonly shutdown: (pool: unknown) => Eff
}

export interface Optional<T> {
  readonly file: string
  readonly module: T | undefined
  /** Why the module's rows are pending, when they are. */
  readonly reason: string | undefined
}

const load = async <T>(file: string, required: ReadonlyArray<string>): Promise<Optional<T>> => {
  const url = new URL(`../src/${file}`, import.meta.url)
  if (!existsSync(url)) return { file, module: undefined, reason: `src/${file} is not written yet` }
  try {
    const mod = (await import(url.href)) as Record<string, unknown>
    const missing = required.filter((name) => typeof mod[name] !== "function")
    if (missing.length > 0) {
      return { file, module: undefined, reason: `src/${file} does not export ${missing.join(", ")} yet` }
    }
    return { file, module: mod as T, reason: undefined }
  } catch (error) {
    return { file, module: undefined, reason: `src/${file} failed to load: ${String(error).split("\n")[0]}` }
  }
}

export interface Modules {
  readonly waitGroup: Optional<WaitGroupModule>
  readonly semaphore: Optional<SemaphoreModule>
  readonly errGroup: Optional<ErrGroupModule>
  readonly workerPool: Optional<WorkerPoolModule>
}

export const loadModules = async (): Promise<Modules> => {
  return {
    waitGroup: await load<WaitGroupModule>("WaitGroup.ts", ["make", "go", "wait"]),
    semaphore: await load<SemaphoreModule>("Semaphore.ts", ["make", "acquire", "release", "withPermits"]),
    errGroup: await load<ErrGroupModule>("ErrGroup.ts", ["make", "go", "wait"]),
    workerPool: await load<WorkerPoolModule>("WorkerPool.ts", ["make", "submit", "shutdown"])
  }
}
