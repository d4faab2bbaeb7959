/**
 * What every primitive kept in Redis shares: its typed errors, the options
 * every one of them takes (checked), and its key names.
 *
 * Keys are `${prefix}:${kind}:{${name}}:${part}`. The braces make `name` a
 * Redis Cluster hash tag, so one primitive's keys live in one slot and its
 * scripts may touch them all. Names and values reach Redis only as command
 * and script arguments, never inside Lua source or a key pattern.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type { RedisError } from "effect/persistence/Redis"
import { invalidArgument, type InvalidArgumentError } from "../copied.ts"
import { type InvalidDurationError, parseDuration } from "../duration.ts"

/**
 * The lease on permits or a lock held through Redis could not be kept: Redis
 * did not confirm it in time (unreachable, or it lost its data), or it had
 * already lapsed. The holder's effect is interrupted before the lease can
 * lapse in Redis, and `withPermits`/`withLock` fails with this error, so no
 * two processes ever act as holders at once.
 */
export class LeaseLostError extends Data.TaggedError("LeaseLostError")<{
  /** "Semaphore", "Mutex" or "SingleFlight". */
  readonly primitive: string
  /** The primitive's name in Redis. */
  readonly name: string
  /** Why: "not renewed in time" or "no longer in Redis". */
  readonly reason: string
}> {
  override get message(): string {
    return `the lease on ${this.primitive} "${this.name}" was lost (${this.reason}); the holder was interrupted`
  }
}

/** What an operation on a primitive kept in Redis may fail with. */
export type RedisSyncError = RedisError | LeaseLostError

/** Options every primitive kept in Redis takes. */
export interface RedisOptions {
  /**
   * The first part of every key, so that applications sharing one Redis
   * cannot take each other's locks by accident. Default `"effect-go"`.
   */
  readonly prefix?: string | undefined
  /**
   * How long a holder's (or a waiter's) lease lasts without renewal. A
   * process renews the leases of its holders and waiters every third of it;
   * a process that dies loses them after at most this long. Default
   * 10 seconds.
   */
  readonly lease?: Duration.Input | undefined
}

/** The checked options, in milliseconds. */
export interface Checked {
  readonly prefix: string
  readonly leaseMs: number
}

const MIN_LEASE_MS = 30

/** The `prefix` option's defect, or the prefix to use. */
export const checkPrefix = (op: string, prefix: unknown): string | InvalidArgumentError => {
  const given = prefix ?? "effect-go"
  return typeof given === "string" && given.length > 0
    ? given
    : invalidArgument(op, "a non-empty string (the `prefix` option)", given)
}

/** The options' defect, or their checked values. */
export const checkOptions = (
  op: string,
  options: RedisOptions | undefined
): Checked | InvalidArgumentError | InvalidDurationError => {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    return invalidArgument(op, "options { prefix?, lease? }", options)
  }
  const prefix = checkPrefix(op, options?.prefix)
  if (typeof prefix !== "string") return prefix
  const lease = options?.lease ?? "10 seconds"
  const decoded = parseDuration(lease, false)
  if (!Duration.isDuration(decoded)) return decoded
  const leaseMs = Duration.toMillis(decoded)
  if (!(leaseMs >= MIN_LEASE_MS && Number.isFinite(leaseMs))) {
    return invalidArgument(op, `a finite duration of at least ${MIN_LEASE_MS} millis (the \`lease\` option)`, lease)
  }
  return { prefix, leaseMs: Math.round(leaseMs) }
}

/** A name's defect, if it is not a non-empty string. */
export const checkName = (op: string, name: unknown): InvalidArgumentError | undefined =>
  typeof name === "string" && name.length > 0 ? undefined : invalidArgument(op, "a non-empty string (the name)", name)

/** The common part of a primitive's keys. */
export const keyBase = (prefix: string, kind: string, name: string): string => `${prefix}:${kind}:{${name}}`
