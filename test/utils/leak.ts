/**
 * Fiber-leak checking for every test: the project's tests use the public
 * testing kit, `it` from `effect-go/vitest` (every Effect test runs under
 * `Testing.leakCheck`, which fails a test whose fibers outlive it, naming
 * them and showing where the blocked ones are stuck).
 */
export { FiberLeakError, leakCheck } from "../../src/Testing.ts"
export { it } from "../../src/vitest.ts"
