// Shared vitest setup: Effect's equality testers for `expect(...).toEqual`.
import { addEqualityTesters } from "@effect/vitest"

addEqualityTesters()
