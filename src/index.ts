/**
 * effect-go: Go's concurrency toolkit on Effect 4.
 *
 * Each module is re-exported as a namespace, named after its Go counterpart:
 *
 * ```ts
 * import { Chan, Mutex, Select } from "effect-go"
 * ```
 *
 * @since 0.1.0
 */
export * as Chan from "./Chan.ts"
export * as Cond from "./Cond.ts"
export * as ErrGroup from "./ErrGroup.ts"
export * as FiberMonitor from "./FiberMonitor.ts"
export * as GoContext from "./GoContext.ts"
export * as Mutex from "./Mutex.ts"
export * as Once from "./Once.ts"
export * as Pipeline from "./Pipeline.ts"
export * as RWMutex from "./RWMutex.ts"
export * as Select from "./Select.ts"
export * as Semaphore from "./Semaphore.ts"
export * as SingleFlight from "./SingleFlight.ts"
export * as Ticker from "./Ticker.ts"
export * as Timer from "./Timer.ts"
export * as WaitGroup from "./WaitGroup.ts"
export * as WorkerPool from "./WorkerPool.ts"

/** The defect a copied (spread, `Object.assign`) primitive dies with: Go's copylocks. */
export { CopiedPrimitiveError } from "./internal/copied.ts"

/** The defect a bad argument dies with (not a primitive, an Effect, a function, an iterable where one is wanted). */
export { InvalidArgumentError } from "./internal/copied.ts"
