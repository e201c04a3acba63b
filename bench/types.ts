/** One printed figure of a benchmark. */
export interface BenchLine {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly note?: string
}
