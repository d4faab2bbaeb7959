/**
 * Every example, in tour order: the seed documents 000–001, then 002–004.
 * Each list lives in its own file so that they can grow independently.
 */
import type { Example } from "./Example.ts"
import { examples as seeds000to001 } from "./list-000-001.ts"
import { examples as seeds002to004 } from "./list-002-004.ts"

export const examples: ReadonlyArray<Example> = [...seeds000to001, ...seeds002to004]
