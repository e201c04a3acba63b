/**
 * PostgreSQL adapter figures (needs DATABASE_URL; skipped otherwise): compare-and-set steps per
 * second through the adapter as a ratio of a raw single-row `UPDATE … WHERE id AND version` loop on
 * the same table in the same run (goal ≥ 0.7), round trips per step (goal 1), and bytes per stored
 * transaction (goal ≤ 1 KiB). Bounded iteration counts; nothing here is asserted.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import * as E from 'fp-ts/lib/Either.js'
import pg from 'pg'
import { asVersion, type AuthnEvent, type TransactionRecord, type TransactionStore } from '@authn-machine/core'
import { conformanceStartContext, makeRecord } from '@authn-machine/testkit'
import { countQueries, createPostgresTransactionStore, migrate, type PgQueryable } from '@authn-machine/adapter-postgres'
import { interleaved, throughput } from './stats.js'
import type { BenchLine } from './types.js'

const ROUNDS = 5
const STEPS_PER_ROUND = 400
const WORKERS = 8

const T0 = Date.UTC(2026, 0, 1)
const event: AuthnEvent = { type: 'transaction.read', now: T0 }

const must = async <A>(te: () => Promise<E.Either<unknown, A>>): Promise<A> => {
  const r = await te()
  if (E.isLeft(r)) throw new Error(`bench step failed: ${JSON.stringify(r.left)}`)
  return r.right
}

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const url = process.env['DATABASE_URL']
  if (url === undefined || url === '')
    return [{ name: 'postgres adapter', value: 0, unit: 'skipped', note: 'DATABASE_URL is not set: these figures need a real server (PGlite is single-connection)' }]

  const pool = new pg.Pool({ connectionString: url, max: WORKERS + 2 })
  pool.on('error', () => undefined)
  const schema = `authn_bench_${randomBytes(6).toString('hex')}`
  try {
    await migrate(pool, { schema })
    const table = `"${schema}".transactions`
    const store = createPostgresTransactionStore(pool, { schema })

    // One lane per concurrent worker: the adapter saves on its own transaction, the raw loop on another.
    const lanes = await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const mine = makeRecord({ expiresAt: T0 + 86_400_000 })
        const raw = makeRecord({ expiresAt: T0 + 86_400_000 })
        await must(store.create(mine, event, conformanceStartContext))
        await must(store.create(raw, event, conformanceStartContext))
        return { current: mine, rawId: raw.id, rawVersion: 1 }
      }),
    )
    type Lane = (typeof lanes)[number]

    const adapterStep = (s: TransactionStore) => async (lane: Lane) => {
      const next: TransactionRecord = { ...lane.current, version: asVersion(lane.current.version + 1) }
      lane.current = await must(s.save(next, lane.current.version, event))
    }
    const rawStep = (db: PgQueryable) => async (lane: Lane) => {
      const { rows } = await db.query(`update ${table} set version = version + 1 where id = $1 and version = $2 returning version`, [
        lane.rawId,
        lane.rawVersion,
      ])
      if (rows.length !== 1) throw new Error('raw update lost its row')
      lane.rawVersion += 1
    }

    const adapter = adapterStep(store)
    const raw = rawStep(pool)
    const lane0 = lanes[0] as Lane
    const sequential = await interleaved(
      ROUNDS,
      () => throughput(STEPS_PER_ROUND, 1, () => adapter(lane0)),
      () => throughput(STEPS_PER_ROUND, 1, () => raw(lane0)),
    )
    // Each worker keeps to its own lane (transaction), so the steps never conflict.
    const perLane = await interleaved(
      ROUNDS,
      async () => {
        const started = performance.now()
        await Promise.all(lanes.map(async (l) => { for (let i = 0; i < STEPS_PER_ROUND / WORKERS; i++) await adapter(l) }))
        return STEPS_PER_ROUND / ((performance.now() - started) / 1000)
      },
      async () => {
        const started = performance.now()
        await Promise.all(lanes.map(async (l) => { for (let i = 0; i < STEPS_PER_ROUND / WORKERS; i++) await raw(l) }))
        return STEPS_PER_ROUND / ((performance.now() - started) / 1000)
      },
    )

    // Round trips: every query through a counting wrapper.
    const counting = countQueries(pool)
    const counted = adapterStep(createPostgresTransactionStore(counting, { schema }))
    const COUNTED = 100
    for (let i = 0; i < COUNTED; i++) await counted(lane0)
    const tripsPerStep = counting.count() / COUNTED

    // Size of a typical transaction (testkit's makeRecord), freshly created.
    const typical = makeRecord()
    await must(store.create(typical, event, conformanceStartContext))
    const { rows } = await pool.query<{ row_bytes: number; context_jsonb: number; context_json: number; log_bytes: number }>(
      `select pg_column_size(t.*)::int as row_bytes, pg_column_size(t.context)::int as context_jsonb,
              octet_length(t.context::text)::int as context_json,
              (select pg_column_size(l.*)::int from "${schema}".transaction_log l where l.transaction_id = t.id and l.version = 1) as log_bytes
       from ${table} t where t.id = $1`,
      [typical.id],
    )
    const size = rows[0]

    return [
      { name: 'save (CAS + log append), sequential', value: sequential.a, unit: 'steps/s', note: `${ROUNDS}×${STEPS_PER_ROUND}, median round` },
      { name: 'raw UPDATE … WHERE id AND version, sequential', value: sequential.b, unit: 'updates/s' },
      { name: 'adapter / raw, sequential', value: sequential.a / sequential.b, unit: 'ratio', note: 'goal ≥ 0.7' },
      { name: `save, ${WORKERS} concurrent distinct transactions`, value: perLane.a, unit: 'steps/s' },
      { name: `raw UPDATE, ${WORKERS} concurrent distinct rows`, value: perLane.b, unit: 'updates/s' },
      { name: `adapter / raw, ${WORKERS} concurrent`, value: perLane.a / perLane.b, unit: 'ratio', note: 'goal ≥ 0.7' },
      { name: 'round trips per save', value: tripsPerStep, unit: 'queries', note: 'goal 1' },
      { name: 'stored transaction row (pg_column_size)', value: size?.row_bytes ?? Number.NaN, unit: 'bytes', note: 'goal ≤ 1024; testkit makeRecord()' },
      { name: 'context as jsonb (pg_column_size)', value: size?.context_jsonb ?? Number.NaN, unit: 'bytes' },
      { name: 'context as JSON text (octet_length)', value: size?.context_json ?? Number.NaN, unit: 'bytes' },
      { name: 'first log entry (event + start context)', value: size?.log_bytes ?? Number.NaN, unit: 'bytes' },
    ]
  } finally {
    await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined)
    await pool.end()
  }
}
