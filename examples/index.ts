/**
 * Every example, in tour order: the Coordination Guide and Go Concurrency,
 * then WaitGroup Deep Dive, Correctness & Trade-offs, sync.WaitGroup and the
 * cheat sheet (the documents are listed in Example.ts). Each list lives in a
 * file of its own so that they can grow independently.
 */
import type { Example } from "./Example.ts"
import { examples as coordinationAndGoConcurrency } from "./list-coordination-go-concurrency.ts"
import { examples as waitGroupAndTradeOffs } from "./list-waitgroup-trade-offs.ts"

export const examples: ReadonlyArray<Example> = [...coordinationAndGoConcurrency, ...waitGroupAndTradeOffs]
