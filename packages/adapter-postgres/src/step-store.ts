import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import {
  FactorRecord,
  IssuedToken,
  LogEntry,
  TransactionRecord,
  UserStatus,
  asUserId,
  asVersion,
  changeMovesEpoch,
  changeRevokesSessions,
  conflict,
  decoyOf,
  emptyStepWrite,
  isTransactionOnly,
  notFound,
  unavailable,
  versionConflict,
  type AttemptStatus,
  type AttemptTicket,
  type FactorChange,
  type LoadedStep,
  type StepOutcome,
  type StepStore,
  type StepWrite,
  type StoreError,
  type TransactionWrite,
} from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { decodeStored } from './decode.js'
import { decodeFactors, factorsOf } from './factor-store.js'
import { policySnapshot, type PolicySnapshot } from './policy.js'
import { encoding, json, queryRunner } from './query.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'
import { decodeRecord, isForeignKeyViolation, liveTransactionQuery, storedContext, type PostgresStoreOptions } from './transaction-store.js'
import { USER_COLUMNS, decodeUser, loginKey } from './user-store.js'

const CredentialRow = t.type({
  status: UserStatus,
  failedAttempts: t.number,
  lockedAt: t.union([t.number, t.null]),
  credentialEpoch: t.number,
})

/** What `authn_step_commit` (and `authn_decoy_commit`) answers (migrations 3 and 4). */
const CommitAnswer = t.union([
  t.type({ error: t.literal('NotFound') }),
  t.type({ error: t.literal('Conflict'), what: t.string }),
  t.type({ error: t.literal('VersionConflict'), actual: t.union([t.number, t.null]) }),
  t.type({ refused: t.keyof({ locked: null, epoch: null, activationClaimed: null, factorReplayed: null }), user: CredentialRow }),
  t.type({ applied: t.literal(true), user: CredentialRow }),
])

const TicketRow = t.type({ ahead: t.number })
const LeaseRow = t.type({ failed_attempts: t.number, locked_at: t.union([t.number, t.null]), ahead: t.number })
const StatusRow = t.type({
  failed_attempts: t.number,
  locked_at: t.union([t.number, t.null]),
  credential_epoch: t.number,
  ahead: t.union([t.number, t.null]),
})

/**
 * A unique violation only a race between the function's checks and its inserts can raise (another
 * session inserted the same transaction id or token hash meanwhile): the answer the check would
 * have given. The statement was rolled back, so nothing was written.
 */
const raceConflict = (e: StoreError): StoreError => {
  if (e._tag !== 'Unavailable' || typeof e.cause !== 'object' || e.cause === null) return e
  const cause = e.cause as { code?: unknown; constraint?: unknown }
  if (cause.code !== '23505') return e
  return conflict(cause.constraint === 'tokens_pkey' ? 'token' : cause.constraint === 'factors_pkey' ? 'factor' : 'transaction')
}

/** A policy snapshot as `authn_step_commit` inserts it (when missing). */
const snapshotJson = (p: PolicySnapshot) => ({ hash: p.hash, policy: p.json })

/**
 * The transaction part of the write as the function reads it, and the policy snapshots it needs.
 * A create always carries its snapshots (inserted when missing, as `TransactionStore.create`
 * does); a save carries only the hash, the snapshot being there already in practice (see
 * `commit`).
 */
const transactionJson = (w: TransactionWrite) => {
  const { record } = w
  const encoded = TransactionRecord.encode(record)
  const policy = policySnapshot(encoded.context.policy)
  const row = {
    id: record.id,
    stateTokenHash: record.stateTokenHash,
    schemaVersion: record.schemaVersion,
    txKind: record.kind,
    version: record.version,
    state: record.state,
    context: storedContext(encoded.context, encoded.expiresAt),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    credentialEpoch: record.credentialEpoch,
    policyHash: policy.hash,
  }
  if (w.kind === 'save') {
    const event = LogEntry.encode({ transactionId: record.id, version: record.version, event: w.event, start: null }).event
    return { tx: { ...row, kind: 'save', expected: w.expected, event }, policies: [snapshotJson(policy)], sendPolicies: false }
  }
  const entry = LogEntry.encode({ transactionId: record.id, version: record.version, event: w.event, start: w.start })
  const start = entry.start === null ? null : storedContext(entry.start, null)
  const startPolicy = entry.start === null ? policy : policySnapshot(entry.start.policy)
  const policies = startPolicy.hash === policy.hash ? [snapshotJson(policy)] : [snapshotJson(policy), snapshotJson(startPolicy)]
  return {
    tx: { ...row, kind: 'create', event: entry.event, start, startPolicyHash: startPolicy.hash },
    policies,
    sendPolicies: true,
  }
}

/** A factor change as the function reads it (an enrolled record in its stored encoding). */
const factorChangeJson = (c: FactorChange) => (c.type === 'enroll' ? { type: c.type, record: FactorRecord.encode(c.record) } : c)

/** The whole `StepWrite` as the one jsonb parameter of `authn_step_commit`. */
const writeJson = (w: StepWrite) => {
  const tx = w.transaction === null ? null : transactionJson(w.transaction)
  const outcome = w.attempt === null ? null : w.attempt.outcome
  const body = {
    now: w.now,
    userId: w.userId,
    expectedEpoch: w.expectedEpoch,
    leaseId: w.attempt?.leaseId ?? null,
    outcome:
      outcome === null || outcome.type === 'release'
        ? outcome
        : { type: outcome.type, maxAttempts: outcome.lockout.maxAttempts, autoUnlockMinutes: outcome.lockout.autoUnlockMinutes },
    transaction: tx?.tx ?? null,
    claimActivation: w.claimActivation,
    userChanges: w.userChanges,
    // The rules of core/src/policy/credential.ts that need no stored state are applied here; the
    // function adds what does (a failure that locks moves the epoch and revokes sessions too).
    moveEpoch: w.moveEpoch || w.userChanges.some(changeMovesEpoch),
    revokeSessionTokens: w.revokeSessionTokens || w.userChanges.some(changeRevokesSessions),
    issue: w.issue === null ? null : IssuedToken.encode(w.issue),
    factorChanges: w.factorChanges.map(factorChangeJson),
    rememberDevice: w.rememberDevice,
  }
  return {
    first: { ...body, policies: tx?.sendPolicies === true ? tx.policies : [] },
    withPolicies: { ...body, policies: tx?.policies ?? [] },
  }
}

const toOutcome = (row: unknown): E.Either<StoreError, StepOutcome> =>
  pipe(
    decodeStored(t.type({ outcome: CommitAnswer }))(row),
    E.chain(({ outcome: a }): E.Either<StoreError, StepOutcome> => {
      if ('applied' in a) return E.right({ _tag: 'Applied', user: a.user })
      if ('refused' in a) return E.right({ _tag: 'Refused', reason: a.refused, user: a.user })
      switch (a.error) {
        case 'NotFound':
          return E.left(notFound)
        case 'Conflict':
          return E.left(conflict(a.what))
        case 'VersionConflict':
          return E.left(versionConflict(a.actual === null ? null : asVersion(a.actual)))
      }
    }),
  )

/**
 * The StepStore on PostgreSQL, over the tables of the TransactionStore, UserStore and FactorStore
 * of the same schema (migration 3). Every method is ONE statement: `reserveAttempt` is an
 * `UPDATE … RETURNING` of the user found by login key (drop lapsed leases, append the new one,
 * return the user, the user's factors and the number of live leases before it), or of the login's
 * decoy when no user has the login (migration 4); `load` the TransactionStore's load with the
 * user's factors, and with a lease the same update of the transaction's user, as CTEs;
 * `attemptStatus` a `SELECT`; `commit` a call of the plpgsql function `authn_step_commit`, which
 * locks the user row first (see migrations.ts), and `settleUnknown` the same function over the
 * decoys. The row lock serialises the reservations and commits of one user; one statement is
 * atomic by construction.
 *
 * The factors a reservation or a load answers are read in the statement's snapshot: when the
 * statement had to wait for a concurrent commit's row lock, the user row is the committed one
 * (READ COMMITTED re-reads it) but the factors may be as they were before that commit. Nothing
 * depends on them being newer: every factor change is checked again inside `commit`, under the
 * row lock (`use` above `last_counter`, the factor still being the user's).
 */
export const createPostgresStepStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): StepStore => {
  const s = tables(opts.schema ?? DEFAULT_SCHEMA)
  const query = queryRunner(db, opts.namedStatements)

  /** The live leases of the row (`until` after $now), oldest first, as `(l, i)`. */
  const liveLeases = (now: string) =>
    `jsonb_array_elements(attempt_leases) with ordinality as a(l, i) where (l->>'until')::numeric > ${now}`
  /** The new `attempt_leases`: the live ones at $now, then the new lease ($id, $until). */
  const withLease = (now: string, id: string, until: string) =>
    `(select coalesce(jsonb_agg(l order by i), '[]'::jsonb) from ${liveLeases(now)})
        || jsonb_build_array(jsonb_build_object('id', ${id}::text, 'until', ${until}::numeric))`
  /** Takes the lease ($2 now, $3 id, $4 until) on the row of `table` that `where` finds; answers the row. */
  const reserveOn = (table: string, where: string) =>
    `update ${table} as u set attempt_leases = ${withLease('$2::numeric', '$3', '$4')} where ${where}
        returning ${USER_COLUMNS}, jsonb_array_length(attempt_leases) - 1 as ahead, ${factorsOf(s, 'u.id')} as factors`

  const sql = {
    // An UPDATE's SET is computed from the row version it locked (READ COMMITTED re-reads a row
    // that changed while it waited): concurrent reservations queue on the row lock, none is lost.
    // An unknown login takes its lease, the same way, on its decoy ($5, migration 4) instead: the
    // same statement, the same row update and the same row to decode (answered NotFound).
    reserve: `with found as (${reserveOn(s.users, 'u.login_key = $1')}),
      decoy as (${reserveOn(s.decoys, 'u.id = $5 and not exists (select 1 from found)')})
      select *, false as decoy from found union all select *, true from decoy`,
    load: `with tx as (${liveTransactionQuery(s)})
      select tx.*, ${factorsOf(s, "tx.context->>'userId'")} as factors from tx`,
    // The lease is taken on the transaction's user only while its epoch is still the transaction's:
    // the condition is checked again on the row version the update locks (READ COMMITTED), so a
    // commit that moved the epoch while this waited for its lock leaves nothing to update, and the
    // answer is NotFound, as a load after that commit would answer. A missing user: NotFound too.
    loadLeased: `with tx as (${liveTransactionQuery(s)}),
      leased as (
        update ${s.users} as u set attempt_leases = ${withLease('$2::numeric', '$3', '$4')}
        where u.id = (select context->>'userId' from tx) and u.credential_epoch = (select credential_epoch from tx)
        returning u.failed_attempts, u.locked_at::float8 as locked_at, jsonb_array_length(u.attempt_leases) - 1 as ahead)
      select tx.*, ${factorsOf(s, "tx.context->>'userId'")} as factors,
             leased.failed_attempts, leased.locked_at, leased.ahead, leased.ahead is not null as leased
      from tx left join leased on true`,
    status: `select failed_attempts, locked_at::float8 as locked_at, credential_epoch,
        (select n from (select l->>'id' as id, (row_number() over (order by i) - 1)::int as n from ${liveLeases('$3::numeric')}) as live
         where live.id = $2 order by live.n limit 1) as ahead
      from ${s.users} where id = $1`,
    commit: `select ${s.schema}.authn_step_commit($1::jsonb) as outcome`,
    // The same function over the decoys (migration 4).
    settleUnknown: `select ${s.schema}.authn_decoy_commit($1::jsonb) as outcome`,
  }

  /** A `StepWrite` through `statement` (`authn_step_commit`, or `authn_decoy_commit` on a decoy). */
  const commitWith =
    (statement: string) =>
    (w: StepWrite): TE.TaskEither<StoreError, StepOutcome> =>
      encoding(() => {
        const body = writeJson(w)
        return pipe(
          query(statement, [json(body.first)]),
          // A save's policy snapshot is missing (a policy seen first by a plain save elsewhere, or
          // deleted): the foreign key failed and rolled the whole call back; send it along.
          TE.orElse((e) => (isForeignKeyViolation(e) ? query(statement, [json(body.withPolicies)]) : TE.left(e))),
          TE.mapLeft(raceConflict),
          TE.chainEitherK((rows) => (rows[0] === undefined ? E.left(notFound) : toOutcome(rows[0]))),
        )
      })

  return {
    reserveAttempt: (login, lease, now) =>
      pipe(
        query(sql.reserve, [loginKey(login), now, lease.id, lease.until, decoyOf(login)]),
        TE.chainEitherK((rows): E.Either<StoreError, AttemptTicket> => {
          const row = rows[0]
          if (row === undefined) return E.left(notFound)
          const ticket = pipe(
            E.Do,
            E.apS('user', decodeUser(row)),
            E.apS('factors', decodeFactors(row)),
            E.apS('ahead', pipe(decodeStored(TicketRow)(row), E.map((r) => r.ahead))),
          )
          return (row as { decoy?: unknown }).decoy === false ? ticket : E.left(notFound)
        }),
      ),

    settleUnknown: (login, leaseId, lockout, now) =>
      pipe(
        commitWith(sql.settleUnknown)({ ...emptyStepWrite(asUserId(decoyOf(login)), now), attempt: { leaseId, outcome: { type: 'failure', lockout } } }),
        // A missing decoy is a schema that was not migrated (the rows are made by migration 4).
        TE.chainEitherK((o) => (o._tag === 'Applied' ? E.right(undefined) : E.left(unavailable(`decoy ${decoyOf(login)}: ${o.reason}`)))),
        TE.orElse((e) => (e._tag === 'NotFound' ? TE.left(unavailable(`decoy ${decoyOf(login)} is missing`)) : TE.left(e))),
      ),

    load: (hash, now, lease) =>
      pipe(
        lease === null ? query(sql.load, [hash, now]) : query(sql.loadLeased, [hash, now, lease.id, lease.until]),
        TE.chainEitherK((rows): E.Either<StoreError, LoadedStep> => {
          const row = rows[0] as { leased?: unknown } | undefined
          if (row === undefined || (lease !== null && row.leased !== true)) return E.left(notFound)
          return pipe(
            E.Do,
            E.apS('record', decodeRecord(row)),
            E.apS('factors', decodeFactors(row)),
            E.apS(
              'attempt',
              lease === null
                ? E.right(null)
                : pipe(
                    decodeStored(LeaseRow)(row),
                    E.map((r) => ({ failedAttempts: r.failed_attempts, lockedAt: r.locked_at, ahead: r.ahead })),
                  ),
            ),
          )
        }),
      ),

    attemptStatus: (userId, leaseId, now) =>
      pipe(
        query(sql.status, [userId, leaseId, now]),
        TE.chainEitherK((rows): E.Either<StoreError, AttemptStatus> =>
          rows[0] === undefined
            ? E.left(notFound)
            : pipe(
                decodeStored(StatusRow)(rows[0]),
                E.map((r) => ({ failedAttempts: r.failed_attempts, lockedAt: r.locked_at, credentialEpoch: r.credential_epoch, ahead: r.ahead })),
              ),
        ),
      ),

    commit: commitWith(sql.commit),

    // The transaction part only, through the same function over the decoys: the decoy row's lock
    // stands for a user's, and the transaction is checked and written as `commit` writes it.
    commitDecoy: (key, w) =>
      isTransactionOnly(w)
        ? pipe(
            commitWith(sql.settleUnknown)({ ...w, userId: asUserId(decoyOf(key)), expectedEpoch: null }),
            TE.orElse((e) => (e._tag === 'NotFound' && w.transaction?.kind === 'create' ? TE.left(unavailable(`decoy ${decoyOf(key)} is missing`)) : TE.left(e))),
          )
        : TE.left(conflict('decoy')),
  }
}
