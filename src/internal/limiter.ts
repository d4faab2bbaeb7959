/**
 * The arguments of a rate limiter (`Rate`), checked alike in memory and in
 * Redis: what is wrong with a limit, a burst or a count of tokens.
 */
import { invalidArgument, type InvalidArgumentError } from "./copied.ts"

export const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

const isLimit = (limit: unknown): limit is number => typeof limit === "number" && limit >= 0

const LIMIT_WANTED = "a limit: events per second, a number 0 or more (Rate.inf for no limit)"
const BURST_WANTED = "a burst: a non-negative safe integer"
export const N_WANTED = "a number of tokens: a non-negative safe integer"

/** What is wrong with a limit, or undefined. */
export const badLimit = (op: string, limit: unknown): InvalidArgumentError | undefined =>
  isLimit(limit) ? undefined : invalidArgument(op, LIMIT_WANTED, limit)

/** What is wrong with a burst, or undefined. */
export const badBurst = (op: string, burst: unknown): InvalidArgumentError | undefined =>
  isCount(burst) ? undefined : invalidArgument(op, BURST_WANTED, burst)
