// Shared vitest setup: Effect's equality testers for `expect(...).toEqual`,
// and the deadlock detector watching every test (see detector.ts).
import { addEqualityTesters } from "@effect/vitest"
import "./detector.ts"

addEqualityTesters()
