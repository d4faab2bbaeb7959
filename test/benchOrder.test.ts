/**
 * The benchmark harness's round order (bench/harness.ts): a run's garbage is
 * collected during the next run, so each contestant must follow every other
 * equally often, not always the same one.
 */
import { describe, expect, it } from "@effect/vitest"
import { roundOrder } from "../bench/harness.ts"

describe("roundOrder", () => {
  it("over a period, each contestant follows every other equally often and holds each position equally often", () => {
    for (let k = 1; k <= 9; k++) {
      const period = k % 2 === 0 ? k : 2 * k
      const follows = new Map<string, number>()
      const positions = new Map<string, number>()
      for (let round = 0; round < period; round++) {
        const order = roundOrder(k, round)
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i))
        order.forEach((c, position) => {
          positions.set(`${c}@${position}`, (positions.get(`${c}@${position}`) ?? 0) + 1)
          if (position > 0)
            follows.set(`${order[position - 1]}>${c}`, (follows.get(`${order[position - 1]}>${c}`) ?? 0) + 1)
        })
      }
      // Every ordered pair of different contestants, equally often.
      expect(follows.size).toBe(k * (k - 1))
      expect(new Set(follows.values()).size).toBeLessThanOrEqual(1)
      expect(positions.size).toBe(k * k)
      expect(new Set(positions.values()).size).toBe(1)
    }
  })

  it("repeats with its period, so any run of whole periods is balanced", () => {
    for (const k of [2, 3, 6, 7]) {
      const period = k % 2 === 0 ? k : 2 * k
      for (let round = 0; round < period; round++)
        expect(roundOrder(k, round + 3 * period)).toEqual(roundOrder(k, round))
    }
  })
})
