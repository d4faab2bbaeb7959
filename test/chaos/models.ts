/**
 * The chaos models by name, with how to replay one of their seeds. Shared by
 * the vitest slice (test/chaos.test.ts) and the long runner (scripts/chaos.ts).
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Chaos } from "../../src/internal/explore.ts"
import { chanModel } from "./chan.chaos.ts"
import { groupsModel } from "./groups.chaos.ts"
import { locksModel } from "./locks.chaos.ts"
import { pipelineModel } from "./pipeline.chaos.ts"

export type ModelName = "chan" | "locks" | "groups" | "pipeline"

export const models: Readonly<Record<ModelName, (chaos: Chaos) => Effect.Effect<void, unknown, Scope.Scope>>> = {
  chan: chanModel,
  locks: locksModel,
  groups: groupsModel,
  pipeline: pipelineModel
}

export const modelNames = Object.keys(models) as ReadonlyArray<ModelName>

/** The command that replays one seed of a model. */
export const replayCommand = (model: ModelName, seed: number): string =>
  `npm run chaos -- --model ${model} --seed ${seed}`
