/**
 * effect-go: Go's concurrency toolkit on Effect 4.
 *
 * Each module is re-exported as a namespace, named after its Go counterpart:
 *
 * ```ts
 * import { Mutex } from "effect-go"
 * ```
 *
 * @since 0.1.0
 */
export * as Mutex from "./Mutex.ts"
