/**
 * The entry file of threads-cpu-stage's threads: each thread counts primes
 * by trial division, one job at a time, in a synchronous loop (which
 * cannot see an interruption: a cancelled job's thread is terminated).
 */
import * as Effect from "effect/Effect"
import { threadId } from "node:worker_threads"
import * as NodeThreads from "../../src/NodeThreads.ts"
import { CountPrimes } from "./primes.task.ts"

const isPrime = (n: number): boolean => {
  if (n < 2) return false
  if (n % 2 === 0) return n === 2
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false
  return true
}

NodeThreads.serve(CountPrimes, ({ from, to }) =>
  Effect.sync(() => {
    let primes = 0
    for (let n = from; n < to; n++) if (isPrime(n)) primes++
    return { from, to, primes, thread: threadId }
  })
)
