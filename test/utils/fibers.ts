import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

/**
 * Lets every ready fiber run until it blocks: a handful of scheduler turns.
 * Use it after forking fibers that must be parked on a primitive before the
 * test goes on.
 */
export const settle: Effect.Effect<void> = Effect.yieldNow.pipe(Effect.repeat({ times: 5 }), Effect.asVoid)

/**
 * Settles, then moves the TestClock forward. Adjusting the clock before the
 * forked fibers have started their sleeps would move time past them.
 */
export const advance = (duration: Duration.Input): Effect.Effect<void> => Effect.andThen(settle, TestClock.adjust(duration))
