import * as Effect from "effect/Effect"

/**
 * Lets every ready fiber run until it blocks: a handful of scheduler turns.
 * Use it after forking fibers that must be parked on a primitive before the
 * test goes on.
 */
export const settle: Effect.Effect<void> = Effect.yieldNow.pipe(Effect.repeat({ times: 5 }), Effect.asVoid)
