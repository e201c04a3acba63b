/**
 * PostgreSQL adapter figures (needs DATABASE_URL; skipped otherwise): compare-and-set steps per
 * second through the adapter as a ratio of a raw single-row `UPDATE … WHERE id = $1 AND version = $2`
 * loop on the same table in the same run (goal ≥ 0.7), round trips per step (goal 1), and bytes
 * per stored transaction (goal ≤ 1 KiB). Bounded iteration counts; nothing here is asserted.
 *
 * Fairness: the adapter's rows and the raw loop's rows live in the same table, equally many, made
 * by the same `create`. Each step of either slides the expiry by 1 ms (as every engine step does),
 * so both touch `version`, `state`, `expires_at`, `schema_version`, `kind` and `created_at`; only
 * the adapter also rewrites the context (`jsonb`), the policy hash and appends the log entry. The
 * raw loop is sent as a plain (unnamed) statement, as a hand-written `pool.query(text, values)`
 * would be; the same loop as a named statement is printed too. Rounds of all contenders alternate
 * (the machine is shared) and the median round of each is reported.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import * as E from 'fp-ts/lib/Either.js'
import pg from 'pg'
import { asVersion, type AuthnEvent, type AuthnRecord, type TransactionStore } from '@authn-machine/core'
import { conformanceStartContext, makeRecord } from '@authn-machine/testkit'
import { countQueries, createPostgresTransactionStore, migrate } from '@authn-machine/adapter-postgres'
import { median } from './stats.js'
import type { BenchLine } from './types.js'

const ROUNDS = Number(process.env['AUTHN_BENCH_ROUNDS'] ?? 7)
const STEPS_PER_ROUND = 400
const WORKERS = 8

const T0 = Date.UTC(2026, 0, 1)
const event: AuthnEvent = { type: 'transaction.read', now: T0 }

const must = async <A>(te: () => Promise<E.Either<unknown, A>>): Promise<A> => {
  const r = await te()
  if (E.isLeft(r)) throw new Error(`bench step failed: ${JSON.stringify(r.left)}`)
  return r.right
}

/** Runs the contenders' rounds alternately, `rounds` times; the median round of each. */
const interleave = async <K extends string>(rounds: number, contenders: Readonly<Record<K, () => Promise<number>>>): Promise<Record<K, number>> => {
  const keys = Object.keys(contenders) as K[]
  const samples = new Map<K, number[]>(keys.map((k) => [k, []]))
  for (let i = 0; i < rounds; i++) for (const k of keys) samples.get(k)?.push(await contenders[k]())
  return Object.fromEntries(keys.map((k) => [k, median(samples.get(k) ?? [])])) as Record<K, number>
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
    const S = `"${schema}"`
    const table = `${S}.transactions`
    const stores = {
      named: createPostgresTransactionStore(pool, { schema }),
      unnamed: createPostgresTransactionStore(pool, { schema, namedStatements: false }),
    }

    // One lane per concurrent worker, each with its own rows: one per adapter contender, one per raw one.
    const fresh = async () => {
      const r = makeRecord({ expiresAt: T0 + 86_400_000 })
      await must(stores.named.create(r, event, conformanceStartContext))
      return r
    }
    const lanes = await Promise.all(
      Array.from({ length: WORKERS }, async () => ({ named: await fresh(), unnamed: await fresh(), raw: await fresh(), rawNamed: await fresh() })),
    )
    type Lane = (typeof lanes)[number]
    type Contender = (lane: Lane) => Promise<void>

    const slide = (r: AuthnRecord): AuthnRecord => ({
      ...r,
      version: asVersion(r.version + 1),
      expiresAt: r.expiresAt + 1,
      context: { ...r.context, expiresAt: r.expiresAt + 1 },
    })
    const adapter =
      (s: TransactionStore, key: 'named' | 'unnamed'): Contender =>
      async (lane) => {
        lane[key] = (await must(s.save(slide(lane[key]), lane[key].version, event))) as AuthnRecord
      }
    const RAW = `update ${table} set version = $3, state = $4, expires_at = $5::bigint, schema_version = $6, kind = $7, created_at = $8::bigint
      where id = $1 and version = $2 returning version`
    const raw =
      (key: 'raw' | 'rawNamed'): Contender =>
      async (lane) => {
        const r = lane[key]
        const values = [r.id, r.version, r.version + 1, r.state, r.expiresAt + 1, r.schemaVersion, r.kind, r.createdAt]
        const { rows } = await (key === 'raw' ? pool.query(RAW, values) : pool.query({ name: `bench_raw_${schema}`, text: RAW, values }))
        if (rows.length !== 1) throw new Error('raw update lost its row')
        lane[key] = slide(r)
      }
    const contenders = { named: adapter(stores.named, 'named'), unnamed: adapter(stores.unnamed, 'unnamed'), raw: raw('raw'), rawNamed: raw('rawNamed') }

    const lane0 = lanes[0] as Lane
    const sequentialRound = (c: Contender) => async () => {
      const started = performance.now()
      for (let i = 0; i < STEPS_PER_ROUND; i++) await c(lane0)
      return STEPS_PER_ROUND / ((performance.now() - started) / 1000)
    }
    // Each worker keeps to its own lane (rows), so the steps never conflict.
    const concurrentRound = (c: Contender) => async () => {
      const started = performance.now()
      await Promise.all(lanes.map(async (l) => { for (let i = 0; i < STEPS_PER_ROUND / WORKERS; i++) await c(l) }))
      return STEPS_PER_ROUND / ((performance.now() - started) / 1000)
    }
    const each = <A>(f: (c: Contender) => A) => ({ named: f(contenders.named), unnamed: f(contenders.unnamed), raw: f(contenders.raw), rawNamed: f(contenders.rawNamed) })
    // Warm-up (connections, prepared statements, JIT, caches), not measured.
    for (let i = 0; i < 2; i++) for (const c of [...Object.values(each(sequentialRound)), ...Object.values(each(concurrentRound))]) await c()
    const stats = async () =>
      (await pool.query<{ upd: number; hot: number }>(`select n_tup_upd::int as upd, n_tup_hot_upd::int as hot from pg_stat_user_tables where schemaname = $1 and relname = 'transactions'`, [schema])).rows[0]
    const before = await stats()
    const seq = await interleave(ROUNDS, each(sequentialRound))
    const conc = await interleave(ROUNDS, each(concurrentRound))
    // The statistics collector reports with a delay; good enough for a share.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const after = await stats()
    const hotShare = after === undefined || before === undefined ? Number.NaN : (after.hot - before.hot) / Math.max(1, after.upd - before.upd)

    // Round trips: every query through a counting wrapper.
    const counting = countQueries(pool)
    const counted = createPostgresTransactionStore(counting, { schema })
    const COUNTED = 100
    for (let i = 0; i < COUNTED; i++) lane0.named = (await must(counted.save(slide(lane0.named), lane0.named.version, event))) as AuthnRecord
    const tripsPerStep = counting.count() / COUNTED

    // Size of a typical transaction (testkit's makeRecord): freshly created, then after one save.
    const typical = makeRecord()
    await must(stores.named.create(typical, event, conformanceStartContext))
    await must(stores.named.save(slide(typical), typical.version, { type: 'transaction.cancel', now: T0 }))
    const { rows } = await pool.query<{ row_bytes: number; context_jsonb: number; context_json: number; first_log: number; later_log: number; snapshots: number; snapshot_bytes: number }>(
      `select pg_column_size(t.*)::int as row_bytes, pg_column_size(t.context)::int as context_jsonb,
              octet_length(t.context::text)::int as context_json,
              (select pg_column_size(l.*)::int from ${S}.transaction_log l where l.transaction_id = t.id and l.version = 1) as first_log,
              (select pg_column_size(l.*)::int from ${S}.transaction_log l where l.transaction_id = t.id and l.version = 2) as later_log,
              (select count(*)::int from ${S}.policy_snapshot) as snapshots,
              (select pg_column_size(p.*)::int from ${S}.policy_snapshot p where p.hash = t.policy_hash) as snapshot_bytes
       from ${table} t where t.id = $1`,
      [typical.id],
    )
    const size = rows[0]
    const perTransaction = size === undefined ? Number.NaN : size.row_bytes + size.first_log

    const ratio = (a: number, b: number) => a / b
    return [
      { name: 'save (CAS + log append), sequential', value: seq.named, unit: 'steps/s', note: `${ROUNDS}×${STEPS_PER_ROUND}, median round` },
      { name: 'save with unnamed statements (as PGlite), sequential', value: seq.unnamed, unit: 'steps/s' },
      { name: 'raw UPDATE … WHERE id AND version, sequential', value: seq.raw, unit: 'updates/s', note: 'unnamed statement' },
      { name: 'raw UPDATE as a named statement, sequential', value: seq.rawNamed, unit: 'updates/s' },
      { name: 'adapter / raw, sequential', value: ratio(seq.named, seq.raw), unit: 'ratio', note: 'goal ≥ 0.7' },
      { name: 'adapter / raw (both named), sequential', value: ratio(seq.named, seq.rawNamed), unit: 'ratio' },
      { name: 'adapter unnamed / raw, sequential', value: ratio(seq.unnamed, seq.raw), unit: 'ratio' },
      { name: `save, ${WORKERS} concurrent distinct transactions`, value: conc.named, unit: 'steps/s' },
      { name: `save with unnamed statements, ${WORKERS} concurrent`, value: conc.unnamed, unit: 'steps/s' },
      { name: `raw UPDATE, ${WORKERS} concurrent distinct rows`, value: conc.raw, unit: 'updates/s', note: 'unnamed statement' },
      { name: `raw UPDATE as a named statement, ${WORKERS} concurrent`, value: conc.rawNamed, unit: 'updates/s' },
      { name: `adapter / raw, ${WORKERS} concurrent`, value: ratio(conc.named, conc.raw), unit: 'ratio', note: 'goal ≥ 0.7' },
      { name: `adapter / raw (both named), ${WORKERS} concurrent`, value: ratio(conc.named, conc.rawNamed), unit: 'ratio' },
      { name: `adapter unnamed / raw, ${WORKERS} concurrent`, value: ratio(conc.unnamed, conc.raw), unit: 'ratio' },
      { name: 'HOT share of updates on transactions during the rounds', value: hotShare, unit: 'ratio', note: 'pg_stat_user_tables, all contenders' },
      { name: 'round trips per save', value: tripsPerStep, unit: 'queries', note: 'goal 1' },
      { name: 'stored transaction row (pg_column_size)', value: size?.row_bytes ?? Number.NaN, unit: 'bytes', note: 'goal ≤ 1024; testkit makeRecord(), after 1 save' },
      { name: '  of which context as jsonb (no policy, no mirrored expiresAt)', value: size?.context_jsonb ?? Number.NaN, unit: 'bytes', note: `${size?.context_json ?? Number.NaN} B as JSON text` },
      { name: 'first log entry (event + start context without policy)', value: size?.first_log ?? Number.NaN, unit: 'bytes' },
      { name: 'each later log entry (event only)', value: size?.later_log ?? Number.NaN, unit: 'bytes' },
      { name: 'row + first log entry (a transaction that never moved)', value: perTransaction, unit: 'bytes', note: 'tuple data; excludes tuple headers, line pointers and index entries' },
      { name: 'policy snapshot, shared by every transaction with that policy', value: size?.snapshot_bytes ?? Number.NaN, unit: 'bytes', note: `${size?.snapshots ?? Number.NaN} snapshot row(s) in the schema` },
    ]
  } finally {
    await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined)
    await pool.end()
  }
}
