/** Examples for seed documents 002, 003 and 004, in tour order. */
import type { Example } from "./Example.ts"

export const examples: ReadonlyArray<Example> = []
