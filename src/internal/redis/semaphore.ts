/**
 * A Semaphore (and a Mutex: a Semaphore of one) whose permits are counted in
 * Redis, so that processes sharing the Redis share the limit. The Lua
 * scripts (scripts.ts) hold the whole protocol; this side keeps, per
 * process:
 * - its waiters, parked through the shared protocol (waiters.ts). A grant
 *   arrives by pub/sub (one subscription per semaphore and process), in the
 *   reply of the call that queued it, or in a renewal's reply: renewals
 *   double as the fallback re-check when a message is lost;
 * - its holders, whose leases one heartbeat fiber renews every third of a
 *   lease. When Redis has not confirmed a holder's lease for two thirds of a
 *   lease, the holder is interrupted with `LeaseLostError`, before the lease
 *   can lapse in Redis and its permits go to someone else.
 *
 * An interrupted waiter's ticket is taken out of Redis (a grant it never saw
 * goes back); if Redis cannot be reached for that, the ticket's lease ends
 * on its own, since nobody renews it.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Redis from "effect/persistence/Redis"
import type * as Scope from "effect/Scope"
import { UnlockOfUnlockedMutexError } from "../../Mutex.ts"
import { ReleasedMoreThanHeldError } from "../../Semaphore.ts"
import { RemoteMutex, RemoteSemaphore } from "../remote.ts"
import { anyone, type Diagnosable, type Diagnosis, type HeldRecord, type Holder } from "../registry.ts"
import {
  type BlockedFiber,
  cancel,
  flushPending,
  parkNow,
  register,
  Waiter,
  WaiterList,
  wake
} from "../waiters.ts"
import { LeaseLostError, type RedisSyncError } from "./common.ts"
import { isStale, type Keeper, keepLeases, newClientId, periodOf } from "./leases.ts"
import * as Scripts from "./scripts.ts"

/**
 * The fencing token of the innermost lock or permits held through Redis by
 * this fiber (`withLock`, `withPermits`), undefined outside one. Tokens grow
 * with every grant of one Semaphore or Mutex, across processes: a resource
 * that remembers the largest token it has seen can refuse a late write from
 * a holder whose lease was lost.
 */
export const FencingToken = Context.Reference<number | undefined>("effect-go/RedisSync/FencingToken", {
  defaultValue: () => undefined
})

/**
 * A fiber of this process waiting for its ticket's grant, in the engine's
 * `WaiterList` so that dumps and `blocked` see it like any waiter. Its grant
 * comes from another process (or Redis' state), which the deadlock detector
 * cannot see: like a timer, something outside its fibers wakes it.
 */
class LocalWaiter extends Waiter<Holding, Redis.RedisError> {
  readonly ticket: string
  readonly n: number
  /** Whether its permits will be released by its own scope (`withPermits`). */
  readonly owned: boolean
  /**
   * The monotonic time (`performance.now()`) the last call Redis answered that saw it waiting: its
   * grant came later, so the lease it was granted runs at least from then.
   */
  confirmedAt: number
  constructor(ticket: string, n: number, owned: boolean, op: string, confirmedAt: number) {
    super()
    this.ticket = ticket
    this.n = n
    this.owned = owned
    this.op = op
    this.confirmedAt = confirmedAt
  }
  /** The removal of its ticket from Redis, once it was interrupted: the interruption waits for it. */
  withdrawal: Effect.Effect<void> | undefined = undefined
  override wakesByTime(): boolean {
    return true
  }
  /** A plain `acquire` continues with nothing: its caller holds permits, not a holding. */
  override deliver(exit: Exit.Exit<Holding, Redis.RedisError>): Effect.Effect<any, any, any> {
    return this.owned || exit._tag === "Failure" ? exit : Exit.void
  }
}

interface Holding {
  readonly ticket: string
  /** Permits still held (a partial `release` lowers it). */
  n: number
  readonly token: number
  /**
   * The fiber holding them through `withPermits`, which releases them when
   * its scope ends (and is shown in dumps); undefined for `acquire`'s,
   * which `release` gives back.
   */
  readonly fiber: Fiber.Fiber<unknown, unknown> | undefined
  /** Failed with `LeaseLostError` when the lease is lost: interrupts a `withPermits` holder. */
  readonly lost: Deferred.Deferred<never, LeaseLostError>
  /**
   * When (`performance.now()`, monotonic) the last call Redis answered that
   * kept this ticket's lease was sent: the lease runs at least from then.
   */
  confirmedAt: number
}

/** A Redis wait has no synchronous try: whether the permits are free is Redis' to say. */
const nothingYet = (): undefined => undefined

export interface EngineOptions {
  readonly redis: Redis.Redis["Service"]
  readonly primitive: "Semaphore" | "Mutex"
  readonly name: string
  readonly base: string
  readonly size: number
  readonly leaseMs: number
}

/** One process's side of one semaphore kept in Redis. */
export class Engine implements Diagnosable, Keeper {
  readonly redis: Redis.Redis["Service"]
  readonly primitive: "Semaphore" | "Mutex"
  readonly name: string
  readonly size: number
  readonly leaseMs: number
  /** A third of the lease: how often leases are renewed, and the slack left when a holder is given up. */
  readonly periodMs: number
  readonly keys: Scripts.SemaphoreKeys
  /** Where grants are published: `ticket token`. */
  readonly channel: string
  readonly common: { readonly keys: Scripts.SemaphoreKeys; readonly size: number; readonly leaseMs: number }
  /** Tickets are `${clientId}:${count}`: unique across processes, and a message is matched to its waiter by it. */
  readonly clientId: string
  count = 0
  readonly waiting = new Map<string, LocalWaiter>()
  /** The same waiters, in the order they asked, as the diagnostics read them. */
  readonly waiters: WaiterList<LocalWaiter>
  readonly holding = new Map<string, Holding>()
  /**
   * Permits taken with `acquire`/`tryAcquire` whose lease was lost: a
   * `release` of them fails with `LeaseLostError`, which the caller can
   * handle, rather than find too few permits held (a defect).
   */
  lostUnowned = 0
  heldRecord: HeldRecord | undefined = undefined

  constructor(o: EngineOptions) {
    this.redis = o.redis
    this.primitive = o.primitive
    this.name = o.name
    this.size = o.size
    this.leaseMs = o.leaseMs
    this.periodMs = periodOf(o.leaseMs)
    this.keys = Scripts.semaphoreKeys(o.base)
    this.channel = this.keys.grants
    this.common = { keys: this.keys, size: o.size, leaseMs: o.leaseMs }
    this.clientId = newClientId()
    this.waiters = new WaiterList(`${o.primitive} (Redis)`, o.name, this, o.primitive === "Mutex" ? "lock" : "acquire")
  }

  /**
   * Its waiters are woken by other processes (anyone, as far as this process
   * can tell); its holders are the fibers of this process in `withPermits`.
   */
  diagnose(): Diagnosis {
    const holders: Array<Holder> = []
    for (const h of this.holding.values()) {
      if (h.fiber !== undefined) holders.push({ fiber: h.fiber, role: `holds ${h.n} (Redis, token ${h.token})` })
    }
    let heldHere = 0
    for (const h of this.holding.values()) heldHere += h.n
    return {
      kind: `${this.primitive} (Redis)`,
      name: this.name,
      state: { size: this.size, heldHere, waitingHere: this.waiters.size },
      queues: [{ list: this.waiters, wakers: anyone }],
      holders
    }
  }

  /** A grant published on the channel: `ticket token`. */
  onMessage(message: string): void {
    const space = message.indexOf(" ")
    const waiter = this.waiting.get(message.slice(0, space))
    if (waiter !== undefined) this.granted(waiter, Number(message.slice(space + 1)))
  }

  /**
   * Waits in Redis' FIFO queue for `n` permits and records them as held
   * (`owned`: released by the caller's scope, see `withPermits`).
   *
   * It parks through the shared protocol (waiters.ts): the ticket is queued
   * in Redis by the step that parks, and every way a grant arrives (the
   * queuing call's reply, a message, a renewal's answer) records the holding
   * and wakes the waiter in one step. A grant reaches the caller in the step
   * that resumes it; an interruption before that takes the ticket out of
   * Redis, giving back a grant the caller never saw, exactly once.
   */
  acquire(n: number, owned: true): Effect.Effect<Holding, Redis.RedisError>
  acquire(n: number, owned: false): Effect.Effect<void, Redis.RedisError>
  acquire(n: number, owned: boolean): Effect.Effect<Holding | void, Redis.RedisError> {
    return Effect.withFiber((fiber) => {
      const ticket = `${this.clientId}:${++this.count}`
      const waiter = new LocalWaiter(
        ticket,
        n,
        owned,
        this.primitive === "Mutex" ? "lock" : `acquire(${n})`,
        performance.now()
      )
      flushPending()
      // No frame between the park and the caller: a grant reaches the
      // caller's continuation within the steps `handsOver` counts on. An
      // interruption waits for the ticket's withdrawal from Redis.
      return Effect.callback<Holding | void, Redis.RedisError>((resume) => {
        parkNow(waiter, fiber, nothingYet, this.enlist, this.onCancel, resume)
        return Effect.suspend(() => {
          cancel(waiter, this.onCancel)
          return waiter.withdrawal ?? Effect.void
        })
      })
    })
  }

  /** Registers a waiter, in the step that parks it, and queues its ticket in Redis. */
  readonly enlist = (waiter: LocalWaiter, fiber: Fiber.Fiber<unknown, unknown>): void => {
    register(this.waiters, waiter, fiber)
    this.waiting.set(waiter.ticket, waiter)
    this.queue(waiter, true)
  }

  /**
   * Sends the script that queues a waiter's ticket (again, when a renewal
   * found it gone: Redis lost it) and delivers the grant its answer carries.
   * Started at once, in order with every later command of this process.
   */
  queue(waiter: LocalWaiter, first: boolean): void {
    waiter.confirmedAt = performance.now()
    Effect.runFork(
      this.redis.eval(Scripts.acquire)(this.common, waiter.ticket, waiter.n).pipe(
        Effect.matchEffect({
          onSuccess: (status) =>
            Effect.sync(() => {
              if (status === "w") return
              // Granted as it first asked: no wait in the queue for telemetry to record.
              if (first) waiter.site = undefined
              this.granted(waiter, Number(status))
            }),
          onFailure: (error) =>
            Effect.suspend(() => {
              if (this.waiting.get(waiter.ticket) !== waiter) return Effect.void
              this.waiting.delete(waiter.ticket)
              this.waiters.remove(waiter)
              wake(waiter, Exit.fail(error))
              // Queued or not, it must not stay: its lease would keep it until nobody renews it.
              return this.forget(waiter.ticket)
            })
        })
      )
    )
  }

  /**
   * Its ticket was granted, with `token`: records the holding and wakes the
   * waiter, unless it left (interrupted: its cancel gives the grant back in
   * Redis) or already had it (a grant can arrive by several ways).
   */
  granted(waiter: LocalWaiter, token: number): void {
    if (this.waiting.get(waiter.ticket) !== waiter) return
    this.waiting.delete(waiter.ticket)
    this.waiters.remove(waiter)
    const holding = this.hold(waiter.ticket, waiter.n, token, waiter.owned ? waiter.fiber : undefined, waiter.confirmedAt)
    wake(waiter, Exit.succeed(holding))
  }

  /**
   * A waiter interrupted before it continued with its grant: its ticket
   * leaves Redis, and permits it was granted and never saw go back with it.
   */
  readonly onCancel = (waiter: LocalWaiter, granted: Exit.Exit<Holding, Redis.RedisError> | undefined): void => {
    this.waiting.delete(waiter.ticket)
    if (granted !== undefined && Exit.isSuccess(granted)) this.holding.delete(waiter.ticket)
    waiter.withdrawal = this.forget(waiter.ticket)
  }

  /** Takes `n` permits, released by `release`, if nobody waits and they are free; says whether it did. */
  tryAcquire(n: number): Effect.Effect<boolean, Redis.RedisError> {
    return Effect.suspend(() => {
      const ticket = `${this.clientId}:${++this.count}`
      const sentAt = performance.now()
      return Effect.map(this.redis.eval(Scripts.tryAcquire)(this.common, ticket, n), (status) => {
        if (status === "x") return false
        this.hold(ticket, n, Number(status), undefined, sentAt)
        return true
      })
    })
  }

  /** Records permits held; `fiber` is the `withPermits` fiber that releases them, undefined for `acquire`'s. */
  hold(
    ticket: string,
    n: number,
    token: number,
    fiber: Fiber.Fiber<unknown, unknown> | undefined,
    confirmedAt: number
  ): Holding {
    const holding: Holding = {
      ticket,
      n,
      token,
      fiber,
      lost: Deferred.makeUnsafe<never, LeaseLostError>(),
      confirmedAt
    }
    this.holding.set(ticket, holding)
    return holding
  }

  /** Takes a ticket out of Redis, best effort: if Redis cannot be reached, its lease ends on its own. */
  forget(ticket: string): Effect.Effect<void> {
    this.holding.delete(ticket)
    return this.redis
      .eval(Scripts.cancel)(this.common, ticket)
      .pipe(Effect.timeout(this.periodMs), Effect.ignore)
  }

  /** Gives back `n` of a holding's permits; fails with `LeaseLostError` if they were no longer held. */
  releaseFrom(holding: Holding, n: number): Effect.Effect<void, RedisSyncError> {
    return Effect.suspend(() => {
      this.takeFrom(holding, n)
      return this.sendRelease(holding.ticket, n)
    })
  }

  /** Counts `n` of a holding's permits as given back here, at once (two releases never pick the same ones). */
  takeFrom(holding: Holding, n: number): void {
    holding.n -= n
    if (holding.n === 0) this.holding.delete(holding.ticket)
  }

  sendRelease(ticket: string, n: number): Effect.Effect<void, RedisSyncError> {
    return Effect.flatMap(this.redis.eval(Scripts.release)(this.common, ticket, n), (done) =>
      done === 1 ? Effect.void : Effect.fail(this.lostError("no longer in Redis"))
    )
  }

  /**
   * Gives back `n` permits taken with `acquire`/`tryAcquire`, oldest first.
   * Undefined when this process holds fewer than `n` such permits.
   */
  release(n: number): Effect.Effect<void, RedisSyncError> | undefined {
    const free = this.heldByAcquire()
    if (free + this.lostUnowned < n) return undefined
    const lost = Math.max(0, n - free)
    this.lostUnowned -= lost
    const steps: Array<Effect.Effect<void, RedisSyncError>> = []
    if (lost > 0) steps.push(Effect.fail(this.lostError("lost before this release")))
    let rest = n - lost
    for (const h of [...this.holding.values()]) {
      if (rest === 0) break
      if (h.fiber !== undefined) continue
      const take = Math.min(h.n, rest)
      rest -= take
      this.takeFrom(h, take)
      steps.push(this.sendRelease(h.ticket, take))
    }
    return Effect.forEach(steps, (step) => step, { discard: true })
  }

  /** The permits held through `acquire`/`tryAcquire` in this process, whose leases still hold. */
  heldByAcquire(): number {
    let held = 0
    for (const h of this.holding.values()) if (h.fiber === undefined) held += h.n
    return held
  }

  /** The permits this process took with `acquire`/`tryAcquire` and has not released, with those lost. */
  get unownedHeld(): number {
    return this.heldByAcquire() + this.lostUnowned
  }

  withPermits<A, E, R>(effect: Effect.Effect<A, E, R>, n: number): Effect.Effect<A, E | RedisSyncError, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(this.acquire(n, true)), (holding) =>
        restore(
          Effect.raceFirst(Effect.provideService(effect, FencingToken, holding.token), Deferred.await(holding.lost))
        ).pipe(
          // A release Redis does not confirm is not the caller's failure: the
          // lease ends on its own, since nobody renews it any more. A lost
          // lease has nothing to give back, and its holder is not kept
          // waiting for a Redis that may be unreachable.
          Effect.ensuring(
            Effect.suspend(() =>
              this.holding.get(holding.ticket) === holding
                ? Effect.ignore(Effect.timeout(this.releaseFrom(holding, holding.n), this.leaseMs))
                : Effect.void
            )
          )
        )
      )
    )
  }

  lostError(reason: string): LeaseLostError {
    return new LeaseLostError({ primitive: this.primitive, name: this.name, reason })
  }

  /** Gives up a holding whose lease is lost: a `withPermits` holder is interrupted and fails with it. */
  lose(holding: Holding, reason: string): void {
    this.holding.delete(holding.ticket)
    if (holding.fiber === undefined) this.lostUnowned += holding.n
    Deferred.doneUnsafe(holding.lost, Exit.fail(this.lostError(reason)))
  }

  /**
   * One renewal of every lease this process has here (its holders and its
   * waiters), which also re-checks the waiters' grants. Holders Redis no
   * longer knows are given up; so are holders whose leases Redis has not
   * confirmed for two thirds of a lease, when the renewal fails.
   */
  renewOnce(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.waiting.size === 0 && this.holding.size === 0) return Effect.void
      const args: Array<string | number> = []
      const holders: Array<Holding> = []
      const waiters: Array<LocalWaiter> = []
      for (const h of this.holding.values()) {
        args.push(h.ticket, 0)
        holders.push(h)
      }
      for (const w of this.waiting.values()) {
        args.push(w.ticket, w.n)
        waiters.push(w)
      }
      const sentAt = performance.now()
      return this.redis.eval(Scripts.renew)(this.common, args).pipe(
        Effect.timeout(this.periodMs),
        Effect.matchEffect({
          onFailure: () => Effect.sync(() => this.giveUpStale()),
          onSuccess: (statuses) =>
            Effect.sync(() => {
              // Each status is read as what the ticket was when the renewal
              // was sent: a waiter granted since then (by a message) was
              // still waiting when Redis ran the renewal, which says nothing
              // against its grant.
              for (let i = 0; i < holders.length; i++) {
                const holding = holders[i]!
                if (this.holding.get(holding.ticket) !== holding) continue
                const status = statuses[i]
                if (status === "x" || status === "w") this.lose(holding, "no longer in Redis")
                else holding.confirmedAt = sentAt
              }
              for (let i = 0; i < waiters.length; i++) {
                const waiter = waiters[i]!
                const status = statuses[holders.length + i]
                if (status === "w") {
                  if (waiter.confirmedAt < sentAt) waiter.confirmedAt = sentAt
                } else if (status === "x") {
                  // Gone from Redis while it still waits here: Redis lost it.
                  if (this.waiting.get(waiter.ticket) === waiter) this.queue(waiter, false)
                } else if (typeof status === "string") {
                  if (this.waiting.get(waiter.ticket) === waiter) this.granted(waiter, Number(status))
                  else {
                    // Granted, and already learned: the renewal extended its lease.
                    const holding = this.holding.get(waiter.ticket)
                    if (holding !== undefined && holding.confirmedAt < sentAt) holding.confirmedAt = sentAt
                  }
                }
              }
              this.giveUpStale()
            })
        })
      )
    })
  }

  giveUpStale(): void {
    for (const h of this.holding.values()) {
      if (isStale(h.confirmedAt, this.leaseMs, this.periodMs)) this.lose(h, "not renewed in time")
    }
  }

  get blocked(): Effect.Effect<ReadonlyArray<BlockedFiber>> {
    return Effect.sync(() => this.waiters.blocked())
  }
}

/**
 * Starts one semaphore's process side in the current scope: checks the size
 * against Redis (a different size there is a defect: two processes would
 * not agree on the limit), subscribes, and starts keeping its leases.
 */
export const start = (o: EngineOptions): Effect.Effect<Engine, Redis.RedisError, Scope.Scope> =>
  Effect.gen(function* () {
    const engine = new Engine(o)
    const stored = yield* o.redis.eval(Scripts.init)(engine.common)
    if (Number(stored) !== o.size) {
      return yield* Effect.die(
        new SizeMismatchError({ primitive: o.primitive, name: o.name, stored: Number(stored), asked: o.size })
      )
    }
    yield* keepLeases(engine, yield* o.redis.subscribe(engine.channel))
    // Closing the scope gives back what this process still holds or waits for.
    yield* Effect.addFinalizer(() =>
      Effect.forEach([...engine.waiting.keys(), ...engine.holding.keys()], (ticket) => engine.forget(ticket), {
        discard: true
      })
    )
    return engine
  })

/** A semaphore already kept in Redis with another size: the processes would not agree on the limit. */
export class SizeMismatchError extends Data.TaggedError("SizeMismatchError")<{
  readonly primitive: string
  readonly name: string
  readonly stored: number
  readonly asked: number
}> {
  override get message(): string {
    return `${this.primitive} "${this.name}" has size ${this.stored} in Redis; this process asked for ${this.asked}`
  }
}

const SemaphoreTypeId = "~effect-go/Semaphore" as const
const MutexTypeId = "~effect-go/Mutex" as const

/** A Semaphore kept in Redis, as `Semaphore`'s functions see it. */
export class RedisSemaphore extends RemoteSemaphore {
  readonly [SemaphoreTypeId] = SemaphoreTypeId
  readonly engine: Engine
  readonly size: number
  readonly name: string
  constructor(engine: Engine) {
    super()
    this.engine = engine
    this.size = engine.size
    this.name = engine.name
  }
  acquire(n: number): Effect.Effect<void, RedisSyncError> {
    return n === 0 ? Effect.void : this.engine.acquire(n, false)
  }
  tryAcquire(n: number): Effect.Effect<boolean, RedisSyncError> {
    return n === 0 ? Effect.succeed(true) : this.engine.tryAcquire(n)
  }
  release(n: number): Effect.Effect<void, RedisSyncError> {
    return Effect.suspend(() => {
      if (n === 0) return Effect.void
      const done = this.engine.release(n)
      return (
        done ??
        Effect.die(
          new ReleasedMoreThanHeldError({ permits: n, held: this.engine.unownedHeld, semaphoreName: this.name })
        )
      )
    })
  }
  withPermits<A, E, R>(effect: Effect.Effect<A, E, R>, n: number): Effect.Effect<A, E | RedisSyncError, R> {
    return n === 0 ? effect : this.engine.withPermits(effect, n)
  }
  get available(): Effect.Effect<number, RedisSyncError> {
    return this.engine.redis.eval(Scripts.available)(this.engine.common)
  }
  get blocked(): Effect.Effect<ReadonlyArray<BlockedFiber>> {
    return this.engine.blocked
  }
  toJSON() {
    return {
      _id: "Semaphore",
      name: this.name,
      size: this.size,
      redis: true,
      held: this.engine.holding.size,
      waiters: this.engine.waiting.size
    }
  }
}

/** A Mutex held through Redis, as `Mutex`'s functions see it. */
export class RedisMutex extends RemoteMutex {
  readonly [MutexTypeId] = MutexTypeId
  readonly engine: Engine
  readonly name: string
  constructor(engine: Engine) {
    super()
    this.engine = engine
    this.name = engine.name
  }
  get lock(): Effect.Effect<void, RedisSyncError> {
    return this.engine.acquire(1, false)
  }
  get tryLock(): Effect.Effect<boolean, RedisSyncError> {
    return this.engine.tryAcquire(1)
  }
  get unlock(): Effect.Effect<void, RedisSyncError> {
    return Effect.suspend(() => this.engine.release(1) ?? Effect.die(new UnlockOfUnlockedMutexError({ mutexName: this.name })))
  }
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RedisSyncError, R> {
    return this.engine.withPermits(effect, 1)
  }
  get isLocked(): Effect.Effect<boolean, RedisSyncError> {
    return Effect.map(this.engine.redis.eval(Scripts.available)(this.engine.common), (free) => free === 0)
  }
  get blocked(): Effect.Effect<ReadonlyArray<BlockedFiber>> {
    return this.engine.blocked
  }
  toJSON() {
    return {
      _id: "Mutex",
      name: this.name,
      redis: true,
      held: this.engine.holding.size > 0,
      waiters: this.engine.waiting.size
    }
  }
}
