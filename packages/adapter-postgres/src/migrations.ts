import { type PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables, type Tables } from './schema.js'

/** One numbered, append-only migration. Never edit a released one: add the next number. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: (t: Tables) => string
}

/**
 * The adapter's schema, in order. Epoch milliseconds are `bigint`; snapshots, events and user
 * sub-records are `jsonb`; every bearer token is stored as its SHA-256 hash only.
 */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'initial',
    sql: (t) => `
      create table ${t.transactions} (
        id               text    primary key,
        state_token_hash text    not null,
        schema_version   integer not null,
        kind             text    not null,
        version          integer not null,
        state            text    not null,
        context          jsonb   not null,
        created_at       bigint  not null,
        expires_at       bigint  not null
      );
      create unique index transactions_state_token_hash_key on ${t.transactions} (state_token_hash);
      create index transactions_expires_at_idx on ${t.transactions} (expires_at);

      create table ${t.log} (
        transaction_id text    not null,
        version        integer not null,
        event          jsonb   not null,
        -- The context the transaction started from (version 1 only), for replay.
        start          jsonb,
        primary key (transaction_id, version)
      );

      create table ${t.tokens} (
        hash           text    primary key,
        schema_version integer not null,
        kind           text    not null,
        user_id        text    not null,
        transaction_id text    not null,
        expires_at     bigint  not null,
        consumed_at    bigint
      );
      create index tokens_expires_at_idx on ${t.tokens} (expires_at);

      create table ${t.users} (
        id                    text    primary key,
        login_key             text    not null,
        schema_version        integer not null,
        status                text    not null,
        profile               jsonb   not null,
        credentials           jsonb   not null,
        failed_attempts       integer not null,
        locked_at             bigint,
        activation_token_hash text,
        factors               jsonb   not null
      );
      create unique index users_login_key_key on ${t.users} (login_key);
      create unique index users_activation_token_hash_key on ${t.users} (activation_token_hash)
        where activation_token_hash is not null;
    `,
  },
  {
    version: 2,
    name: 'policy snapshots, HOT-friendly transactions',
    // Each transaction's context held the whole policy (about 480 of 1,100 bytes) and so did the
    // first log entry's `start`. Policies now live once in `policy_snapshot`, keyed by the SHA-256
    // of their canonical JSON (`policyHash` in src/policy.ts; the SQL function below renders the
    // same text for every policy the codecs produce: sorted keys, no whitespace). The index on
    // `expires_at` is dropped because a save changes `expires_at` (sliding lifetime), and an
    // indexed column changing rules out HOT updates; `sweep` scans instead. `fillfactor = 70`
    // leaves room on each page for the new row version of a HOT update (new pages only; run
    // `VACUUM FULL` to repack an existing table).
    sql: (t) => `
      create table ${t.policies} (
        hash   bytea primary key,
        policy jsonb not null
      );
      alter table ${t.transactions} add column policy_hash bytea;
      alter table ${t.log} add column start_policy_hash bytea;

      create function ${t.schema}.authn_canonical_json(j jsonb) returns text language plpgsql immutable as $canonical$
      begin
        case jsonb_typeof(j)
          when 'object' then
            return '{' || coalesce((select string_agg(to_json(k)::text || ':' || ${t.schema}.authn_canonical_json(v), ',' order by k collate "C")
                                    from jsonb_each(j) as e(k, v)), '') || '}';
          when 'array' then
            return '[' || coalesce((select string_agg(${t.schema}.authn_canonical_json(v), ',' order by i)
                                    from jsonb_array_elements(j) with ordinality as a(v, i)), '') || ']';
          else
            return j::text;
        end case;
      end
      $canonical$;

      insert into ${t.policies} (hash, policy)
        select sha256(convert_to(${t.schema}.authn_canonical_json(p), 'UTF8')), p
        from (select context->'policy' as p from ${t.transactions} where context ? 'policy'
              union
              select start->'policy' from ${t.log} where jsonb_typeof(start) = 'object' and start ? 'policy') as existing
        on conflict do nothing;
      update ${t.transactions}
        set policy_hash = sha256(convert_to(${t.schema}.authn_canonical_json(context->'policy'), 'UTF8')),
            context = context - 'policy'
        where context ? 'policy';
      update ${t.log}
        set start_policy_hash = sha256(convert_to(${t.schema}.authn_canonical_json(start->'policy'), 'UTF8')),
            start = start - 'policy'
        where jsonb_typeof(start) = 'object' and start ? 'policy';
      drop function ${t.schema}.authn_canonical_json(jsonb);
      -- A row never points at a missing snapshot. The check costs a lookup on insert, and nothing
      -- on an update that keeps the hash (every save in practice).
      alter table ${t.transactions} add constraint transactions_policy_hash_fkey foreign key (policy_hash) references ${t.policies} (hash);
      alter table ${t.log} add constraint transaction_log_start_policy_hash_fkey foreign key (start_policy_hash) references ${t.policies} (hash);

      drop index if exists ${t.schema}.transactions_expires_at_idx;
      alter table ${t.transactions} set (fillfactor = 70);
    `,
  },
]

/** The version the code expects. */
export const LATEST_VERSION = MIGRATIONS.reduce((n, m) => Math.max(n, m.version), 0)

export interface MigrateOptions {
  readonly schema?: string
  /** Stop after this version (default: the latest). For staged roll-outs and migration tests. */
  readonly to?: number
}

export interface MigrateResult {
  readonly schema: string
  /** The schema's version after the run. */
  readonly version: number
}

/** A dollar-quote tag that does not occur in `body`. */
const dollarQuote = (body: string): string => {
  let tag = 'migration'
  while (body.includes(`$${tag}$`)) tag += '_'
  return `$${tag}$${body}$${tag}$`
}

/**
 * The whole migration as ONE statement (a `DO` block): it runs in one implicit transaction on one
 * connection even through a pool, so `pg_advisory_xact_lock` serialises concurrent starters, and
 * each pending migration is applied and recorded in `schema_migrations` atomically.
 */
export const migrationStatement = (schema: string, to: number = LATEST_VERSION): string => {
  const t = tables(schema)
  const steps = MIGRATIONS.filter((m) => m.version <= to).map(
    (m) => `
  IF NOT EXISTS (SELECT 1 FROM ${t.migrations} WHERE version = ${m.version}) THEN
    EXECUTE ${dollarQuote(m.sql(t))};
    INSERT INTO ${t.migrations} (version, name) VALUES (${m.version}, ${dollarQuote(m.name)});
  END IF;`,
  ).join('')
  return `DO ${dollarQuote(`
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(${dollarQuote(`authn-machine.migrate:${schema}`)}));
  CREATE SCHEMA IF NOT EXISTS ${t.schema};
  CREATE TABLE IF NOT EXISTS ${t.migrations} (
    version    integer     primary key,
    name       text        not null,
    applied_at timestamptz not null default now()
  );${steps}
END`)}`
}

/**
 * Applies the pending migrations to `schema` (default `authn`). Idempotent, and safe when several
 * processes start at once. Throws on a database error: it runs at start-up, not per request.
 */
export const migrate = async (db: PgQueryable, opts: MigrateOptions = {}): Promise<MigrateResult> => {
  const schema = opts.schema ?? DEFAULT_SCHEMA
  await db.query(migrationStatement(schema, opts.to))
  const { rows } = await db.query(`select coalesce(max(version), 0)::int as version from ${tables(schema).migrations}`)
  const version = (rows[0] as { version?: unknown } | undefined)?.version
  return { schema, version: typeof version === 'number' ? version : 0 }
}
