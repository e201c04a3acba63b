import { performance } from 'node:perf_hooks'

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN
}

/** Runs `op` `total` times with at most `concurrency` in flight; returns operations per second. */
export const throughput = async (total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> => {
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const i = next++
      await op(i)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total / ((performance.now() - started) / 1000)
}

/** Alternates rounds of two measurements so that drift on a shared machine hits both alike. */
export const interleaved = async (
  rounds: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<{ readonly a: number; readonly b: number }> => {
  const as: number[] = []
  const bs: number[] = []
  for (let i = 0; i < rounds; i++) {
    as.push(await a())
    bs.push(await b())
  }
  return { a: median(as), b: median(bs) }
}
