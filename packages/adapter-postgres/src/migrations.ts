import { type PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables, type Tables } from './schema.js'

/** One numbered, append-only migration. Never edit a released one: add the next number. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: (t: Tables) => string
}

/**
 * Migration 3's `authn_step_commit(w jsonb) returns jsonb`: `StepStore.commit` in ONE statement
 * (the layout of `w` and of the answer: src/step-store.ts). It follows adapter-memory's commit
 * check for check and the pure rules of core/src/policy/credential.ts. Part of a released
 * migration: never edit it, replace the function in a later one. Migration 4 makes the same
 * function over the decoys (`t.users` the decoy table) as `authn_decoy_commit`: replace both.
 *
 * Concurrency: the first statement locks the user row (`for update`); every commit and every
 * reservation of that user waits there. The function is VOLATILE, so under READ COMMITTED each
 * later statement takes a fresh snapshot, taken after the lock was granted: the counters, the
 * lock, the epoch, the claim holder and the token rows are read as last committed. Every answer
 * other than `applied`/`refused` is decided before the first write, so it writes nothing; a
 * refusal writes only the lease's removal. A unique violation that only a race between the
 * checks and the inserts can cause, or a missing policy snapshot (foreign key), raises: the whole
 * statement, and so the whole write, is rolled back.
 *
 * Factor changes and the remembered device, in adapter-memory's order:
 * - after the token check, the factor changes are checked before anything is written: an `enroll`
 *   whose id exists or whose record is another user's is `Conflict` ('factor'); an `activate` or
 *   `use` of a factor that is not this user's (or does not exist) is `NotFound`;
 * - after the activation claim, a `use` at or below its factor's `last_counter` is refused
 *   (`factorReplayed`). The user row lock makes it atomic: every commit of the user waits for it,
 *   and each statement after it reads the factor rows as last committed, so of N commits using the
 *   same counter exactly one is applied;
 * - applied after the issued token, in order: `enroll` deletes the user's PENDING_ACTIVATION
 *   factors of the same type and provider, then inserts the record; `activate` and `use` update
 *   the row (a row an earlier change of the same write deleted stays deleted);
 * - `rememberDevice`: the user's `remembered_devices` without the entries of the same hash or with
 *   `until <= now`, then the new entry.
 */
const STEP_COMMIT = (t: Tables, name = 'authn_step_commit', logState = false, factorUpdate = false): string => `
      create or replace function ${t.schema}.${name}(w jsonb) returns jsonb language plpgsql volatile as $commit$
      declare
        v_now       constant numeric := (w->>'now')::numeric;
        v_tx        constant jsonb   := nullif(w->'transaction', 'null'::jsonb);
        v_outcome   constant jsonb   := nullif(w->'outcome', 'null'::jsonb);
        v_issue     constant jsonb   := nullif(w->'issue', 'null'::jsonb);
        v_remember  constant jsonb   := nullif(w->'rememberDevice', 'null'::jsonb);
        v_factor_changes constant jsonb := coalesce(w->'factorChanges', '[]'::jsonb);
        v_lease     constant text    := w->>'leaseId';
        v_user      ${t.users}%rowtype;
        v_current   record;
        v_change    jsonb;
        v_record    jsonb;
        v_refusal   text;
        v_status    text;
        v_failed    integer;
        v_locked_at bigint;
        v_was_locked boolean;
        v_locks     boolean := false;
        v_max       numeric;
        v_unlock_ms numeric;
        v_cred      jsonb;
        v_history   jsonb;
        v_keep      numeric;
        v_act_hash  text;
        v_claim     text;
        v_epoch     integer;
        v_leases    jsonb;
        v_devices   jsonb;
      begin
        select * into v_user from ${t.users} where id = w->>'userId' for update;
        if not found then
          return jsonb_build_object('error', 'NotFound');
        end if;

        -- The transaction's compare-and-set, answered as TransactionStore.create / save answer it.
        if v_tx is not null then
          if v_tx->>'kind' = 'create' then
            if exists (select 1 from ${t.transactions} where id = v_tx->>'id' or state_token_hash = v_tx->>'stateTokenHash') then
              return jsonb_build_object('error', 'Conflict', 'what', 'transaction');
            end if;
            if (v_tx->>'version')::numeric <> 1 then
              return jsonb_build_object('error', 'VersionConflict', 'actual', null);
            end if;
          else
            select version, state_token_hash into v_current from ${t.transactions} where id = v_tx->>'id' for update;
            if not found then
              return jsonb_build_object('error', 'NotFound');
            end if;
            if v_current.version <> (v_tx->>'expected')::numeric or (v_tx->>'version')::numeric <> (v_tx->>'expected')::numeric + 1 then
              return jsonb_build_object('error', 'VersionConflict', 'actual', v_current.version);
            end if;
            if v_current.state_token_hash <> v_tx->>'stateTokenHash' then
              return jsonb_build_object('error', 'Conflict', 'what', 'stateTokenHash');
            end if;
          end if;
        end if;
        if v_issue is not null and exists (select 1 from ${t.tokens} where hash = v_issue->>'hash') then
          return jsonb_build_object('error', 'Conflict', 'what', 'token');
        end if;

        -- The factor changes, against the factors as stored (none of them is applied yet).
        for v_change in select value from jsonb_array_elements(v_factor_changes) loop
          if v_change->>'type' = 'enroll' then
            if v_change->'record'->>'userId' is distinct from v_user.id
               or exists (select 1 from ${t.factors} where id = v_change->'record'->>'id') then
              return jsonb_build_object('error', 'Conflict', 'what', 'factor');
            end if;
          elsif v_change->>'type' in ('activate', 'use'${factorUpdate ? ", 'update'" : ''}) then
            if not exists (select 1 from ${t.factors} where id = v_change->>'factorId' and user_id = v_user.id) then
              return jsonb_build_object('error', 'NotFound');
            end if;
          else
            raise exception 'authn_step_commit: unknown factor change %', v_change->>'type';
          end if;
        end loop;

        -- Refusals, in order: a moved epoch, a success on a locked account, a held activation
        -- claim, a one-time counter used already.
        v_status := v_user.status;
        v_failed := v_user.failed_attempts;
        v_locked_at := v_user.locked_at;
        if jsonb_typeof(w->'expectedEpoch') = 'number' and v_user.credential_epoch <> (w->>'expectedEpoch')::numeric then
          v_refusal := 'epoch';
        end if;
        if v_refusal is null and v_outcome is not null and v_outcome->>'type' in ('success', 'failure') then
          -- settleAttempt: lockedNow is isLockedAt (core/src/policy/lockout.ts).
          v_max := (v_outcome->>'maxAttempts')::numeric;
          v_unlock_ms := (v_outcome->>'autoUnlockMinutes')::numeric * 60000;
          v_was_locked := v_user.locked_at is not null and (v_unlock_ms = 0 or v_now < v_user.locked_at + v_unlock_ms);
          if v_outcome->>'type' = 'success' then
            if v_was_locked then
              v_refusal := 'locked';
            else
              v_failed := 0;
              v_locked_at := null;
              if v_status = 'LOCKED_OUT' then v_status := 'ACTIVE'; end if;
            end if;
          elsif not v_was_locked then
            -- nextLockoutState: an expired lock starts over at one.
            v_failed := (case when v_user.locked_at is not null then 0 else v_user.failed_attempts end) + 1;
            v_locked_at := case when v_max > 0 and v_failed >= v_max then v_now::bigint end;
            v_locks := v_locked_at is not null;
          end if;
        end if;
        if v_refusal is null and (w->>'claimActivation')::boolean and v_user.activation_claim is not null and exists (
            select 1 from ${t.transactions} h
            where h.id = v_user.activation_claim
              and h.state not in ('SUCCESS', 'LOCKED_OUT', 'CANCELLED', 'FAILED')
              and v_now < h.expires_at
              and h.credential_epoch = v_user.credential_epoch) then
          v_refusal := 'activationClaimed';
        end if;
        if v_refusal is null and exists (
            select 1 from jsonb_array_elements(v_factor_changes) as c(v)
            join ${t.factors} f on f.id = c.v->>'factorId'
            where c.v->>'type' = 'use' and f.last_counter is not null and (c.v->>'counter')::numeric <= f.last_counter) then
          v_refusal := 'factorReplayed';
        end if;

        -- The lease goes in every case from here on (refused or applied).
        v_leases := v_user.attempt_leases;
        if v_lease is not null and v_leases @> jsonb_build_array(jsonb_build_object('id', v_lease)) then
          select coalesce(jsonb_agg(l order by i), '[]'::jsonb) into v_leases
          from jsonb_array_elements(v_user.attempt_leases) with ordinality as a(l, i)
          where l->>'id' is distinct from v_lease;
        end if;
        if v_refusal is not null then
          if v_leases is distinct from v_user.attempt_leases then
            update ${t.users} set attempt_leases = v_leases where id = v_user.id;
          end if;
          return jsonb_build_object('refused', v_refusal, 'user', jsonb_build_object(
            'status', v_user.status, 'failedAttempts', v_user.failed_attempts,
            'lockedAt', v_user.locked_at, 'credentialEpoch', v_user.credential_epoch));
        end if;

        -- applyUserChange, change by change.
        v_cred := v_user.credentials;
        v_act_hash := v_user.activation_token_hash;
        v_claim := v_user.activation_claim;
        -- The claim before the changes: an activation completed in the same write clears it again.
        if (w->>'claimActivation')::boolean and v_tx is not null then
          v_claim := v_tx->>'id';
        end if;
        for v_change in select value from jsonb_array_elements(coalesce(w->'userChanges', '[]'::jsonb)) loop
          case v_change->>'type'
            when 'setPassword' then
              if v_status = 'PASSWORD_EXPIRED' then v_status := 'ACTIVE'; end if;
              v_keep := greatest(0, (v_change->>'historyCount')::numeric - 1);
              v_history := case when jsonb_typeof(v_cred->'passwordHash') = 'string'
                                then jsonb_build_array(v_cred->'passwordHash') || coalesce(v_cred->'passwordHistory', '[]'::jsonb)
                                else coalesce(v_cred->'passwordHistory', '[]'::jsonb) end;
              v_cred := v_cred || jsonb_build_object(
                'passwordHash', v_change->'passwordHash',
                'passwordChangedAt', v_change->'changedAt',
                'passwordHistory', (select coalesce(jsonb_agg(h order by i), '[]'::jsonb)
                                    from jsonb_array_elements(v_history) with ordinality as x(h, i) where i <= v_keep));
            when 'activate' then
              if v_status in ('STAGED', 'PROVISIONED') then v_status := 'ACTIVE'; end if;
              v_act_hash := null;
              v_claim := null;
            when 'lock' then
              v_locked_at := (v_change->>'at')::bigint;
            when 'unlock' then
              v_failed := 0;
              v_locked_at := null;
              if v_status = 'LOCKED_OUT' then v_status := 'ACTIVE'; end if;
            when 'suspend' then
              if v_status in ('ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY') then v_status := 'SUSPENDED'; end if;
            when 'unsuspend' then
              if v_status = 'SUSPENDED' then v_status := 'ACTIVE'; end if;
            when 'deactivate' then
              v_status := 'DEPROVISIONED';
              v_act_hash := null;
              v_claim := null;
            when 'expirePassword' then
              if v_status = 'ACTIVE' then v_status := 'PASSWORD_EXPIRED'; end if;
            else
              raise exception 'authn_step_commit: unknown user change %', v_change->>'type';
          end case;
        end loop;
        -- 'moveEpoch' and 'revokeSessionTokens' arrive already combined with the changes' rules
        -- (changeMovesEpoch, changeRevokesSessions); a failure that locks adds both.
        v_epoch := v_user.credential_epoch + case when (w->>'moveEpoch')::boolean or v_locks then 1 else 0 end;
        if (w->>'revokeSessionTokens')::boolean or v_locks then
          update ${t.tokens} set consumed_at = v_now::bigint
          where user_id = v_user.id and kind = 'session' and consumed_at is null;
        end if;

        if v_tx is not null then
          insert into ${t.policies} (hash, policy)
          select decode(p->>'hash', 'hex'), (p->>'policy')::jsonb from jsonb_array_elements(coalesce(w->'policies', '[]'::jsonb)) as p
          on conflict do nothing;
          if v_tx->>'kind' = 'create' then
            insert into ${t.transactions} (id, state_token_hash, schema_version, kind, version, state, context, created_at, expires_at, policy_hash, credential_epoch)
            values (v_tx->>'id', v_tx->>'stateTokenHash', (v_tx->>'schemaVersion')::integer, v_tx->>'txKind', (v_tx->>'version')::integer,
                    v_tx->>'state', v_tx->'context', (v_tx->>'createdAt')::bigint, (v_tx->>'expiresAt')::bigint,
                    decode(v_tx->>'policyHash', 'hex'), (v_tx->>'credentialEpoch')::integer);
            insert into ${t.log} (transaction_id, version, event, start, start_policy_hash${logState ? ', state' : ''})
            values (v_tx->>'id', (v_tx->>'version')::integer, v_tx->'event', nullif(v_tx->'start', 'null'::jsonb), decode(v_tx->>'startPolicyHash', 'hex')${logState ? ", v_tx->>'state'" : ''});
          else
            update ${t.transactions}
            set version = (v_tx->>'version')::integer, state = v_tx->>'state', context = v_tx->'context',
                expires_at = (v_tx->>'expiresAt')::bigint, schema_version = (v_tx->>'schemaVersion')::integer,
                kind = v_tx->>'txKind', created_at = (v_tx->>'createdAt')::bigint,
                policy_hash = decode(v_tx->>'policyHash', 'hex'), credential_epoch = (v_tx->>'credentialEpoch')::integer
            where id = v_tx->>'id';
            insert into ${t.log} (transaction_id, version, event${logState ? ', state' : ''}) values (v_tx->>'id', (v_tx->>'version')::integer, v_tx->'event'${logState ? ", v_tx->>'state'" : ''});
          end if;
        end if;
        -- After the revocation above, so the token issued here survives it.
        if v_issue is not null then
          insert into ${t.tokens} (hash, schema_version, kind, user_id, transaction_id, expires_at)
          values (v_issue->>'hash', (v_issue->>'schemaVersion')::integer, v_issue->>'kind', v_issue->>'userId',
                  v_issue->>'transactionId', (v_issue->>'expiresAt')::bigint);
        end if;

        -- The factor changes, in order.
        for v_change in select value from jsonb_array_elements(v_factor_changes) loop
          case v_change->>'type'
            when 'enroll' then
              v_record := v_change->'record';
              delete from ${t.factors}
              where user_id = v_user.id and status = 'PENDING_ACTIVATION'
                and factor_type = v_record->>'factorType' and provider = v_record->>'provider';
              insert into ${t.factors} (id, user_id, schema_version, factor_type, provider, status, profile, secret, last_counter, created_at)
              values (v_record->>'id', v_user.id, (v_record->>'schemaVersion')::integer, v_record->>'factorType', v_record->>'provider',
                      v_record->>'status', v_record->'profile', v_record->>'secret', (v_record->>'lastCounter')::bigint,
                      (v_record->>'createdAt')::bigint);
            when 'activate' then
              update ${t.factors} set status = 'ACTIVE' where id = v_change->>'factorId';
            when 'use' then
              update ${t.factors} set last_counter = (v_change->>'counter')::bigint where id = v_change->>'factorId';${
                factorUpdate
                  ? `
            when 'update' then
              update ${t.factors} set profile = v_change->'profile', secret = v_change->>'secret' where id = v_change->>'factorId';`
                  : ''
              }
          end case;
        end loop;

        v_devices := v_user.remembered_devices;
        if v_remember is not null then
          select coalesce(jsonb_agg(d order by i), '[]'::jsonb) || jsonb_build_array(jsonb_build_object('hash', v_remember->'hash', 'until', v_remember->'until'))
          into v_devices
          from jsonb_array_elements(v_user.remembered_devices) with ordinality as a(d, i)
          where d->>'hash' is distinct from v_remember->>'hash' and (d->>'until')::numeric > v_now;
        end if;

        -- Only when something changed: most steps (a get-state, a refused password) leave the user as is.
        if (v_status, v_cred, v_failed, v_locked_at, v_act_hash, v_claim, v_epoch, v_leases, v_devices) is distinct from
           (v_user.status, v_user.credentials, v_user.failed_attempts, v_user.locked_at, v_user.activation_token_hash,
            v_user.activation_claim, v_user.credential_epoch, v_user.attempt_leases, v_user.remembered_devices) then
          update ${t.users}
          set status = v_status, credentials = v_cred, failed_attempts = v_failed, locked_at = v_locked_at,
              activation_token_hash = v_act_hash, activation_claim = v_claim, credential_epoch = v_epoch,
              attempt_leases = v_leases, remembered_devices = v_devices
          where id = v_user.id;
        end if;
        return jsonb_build_object('applied', true, 'user', jsonb_build_object(
          'status', v_status, 'failedAttempts', v_failed, 'lockedAt', v_locked_at, 'credentialEpoch', v_epoch));
      end
      $commit$;`

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
  {
    version: 3,
    name: 'credential state and factor rows: epochs, activation claims, attempt leases, factors, remembered devices, atomic step commits',
    // docs/adr/0008-credential-state.md. A user's live attempt leases are a small jsonb array on
    // the user row (oldest first, `{ id, until }`): taking one is the same row update that finds
    // the user, and the row lock that update takes is the one every commit of that user takes, so
    // reservations and commits of one user are serialised by one lock. A transaction records the
    // credential epoch it was started under; `load` compares it with its user's (a primary-key
    // lookup). The partial index finds a user's redeemable session tokens without a scan when a
    // step revokes them. `authn_step_commit` applies a whole `StepWrite` (src/step-store.ts) in ONE
    // statement; it changes only by a later migration (`create or replace function`).
    // A user's factors leave `users.factors` (one jsonb array per user) for `factors`, one row each:
    // a step changes one factor (enroll, activate, a one-time counter used) without rewriting the
    // user's others, and a counter is compared and set on its own row. Existing entries become
    // rows, in their array order, ACTIVE unless the entry said otherwise, with no secret and no
    // counter, created "now" (the entries had no creation time). `sequence` keeps insertion order
    // ("oldest first"). Every verification of a one-time code updates its row: leave room for HOT
    // updates, as for users.
    sql: (t) => `
      alter table ${t.users}
        add column credential_epoch integer not null default 0,
        add column activation_claim text,
        add column attempt_leases   jsonb   not null default '[]'::jsonb;
      -- Every sign-in now updates its user row (the lease, then the settlement): leave room on each
      -- page for HOT updates, as for transactions (new pages only; VACUUM FULL repacks old ones).
      alter table ${t.users} set (fillfactor = 70);
      alter table ${t.transactions} add column credential_epoch integer not null default 0;
      create index tokens_user_id_live_sessions_idx on ${t.tokens} (user_id)
        where kind = 'session' and consumed_at is null;
      create table ${t.factors} (
        sequence       bigint  generated always as identity,
        id             text    primary key,
        user_id        text    not null references ${t.users} (id),
        schema_version integer not null,
        factor_type    text    not null,
        provider       text    not null,
        status         text    not null,
        profile        jsonb   not null,
        secret         text,
        last_counter   bigint,
        created_at     bigint  not null
      ) with (fillfactor = 70);
      create index factors_user_id_idx on ${t.factors} (user_id, sequence);
      insert into ${t.factors} (id, user_id, schema_version, factor_type, provider, status, profile, secret, last_counter, created_at)
        select f->>'id', u.id, 1, f->>'factorType', f->>'provider', coalesce(f->>'status', 'ACTIVE'),
               coalesce(f->'profile', '{}'::jsonb), null, null, (extract(epoch from now()) * 1000)::bigint
        from ${t.users} u cross join lateral jsonb_array_elements(case when jsonb_typeof(u.factors) = 'array' then u.factors else '[]'::jsonb end)
             with ordinality as a(f, i)
        order by u.id, a.i;
      alter table ${t.users}
        drop column factors,
        add column remembered_devices jsonb not null default '[]'::jsonb;
      ${STEP_COMMIT(t)}
    `,
  },
  {
    version: 4,
    name: 'attempt decoys: an unknown login costs what a known one costs',
    // docs/adr/0011-indistinguishable-users.md. A wrong password for a known user writes twice (the
    // lease on its row, then the settled failure: two commits, each waiting for the WAL flush); an
    // unknown login wrote nothing and was measurably faster. Now it is written to a decoy instead:
    // one of 256 user-shaped rows (`decoyOf` in core: `decoy:0` … `decoy:255`, by the login, so a
    // login always meets the same row lock, as a user's attempts do, and unknown logins do not all
    // queue on one row), in a table of the users' layout that no lookup by login or id reads. The
    // lease is taken by the same row update as a user's, and settled by `authn_decoy_commit`: the
    // function `authn_step_commit` itself, over the decoys. A later migration that replaces
    // `authn_step_commit` or adds a column to `users` does the same for the decoys.
    sql: (t) => `
      create table ${t.decoys} (like ${t.users} including all) with (fillfactor = 70);
      insert into ${t.decoys} (id, login_key, schema_version, status, profile, credentials, failed_attempts)
        select 'decoy:' || n, 'decoy:' || n, 1, 'ACTIVE', jsonb_build_object('login', '', 'firstName', '', 'lastName', ''),
               '{"passwordHash": null, "passwordChangedAt": null, "passwordHistory": [], "recoveryQuestion": null}'::jsonb, 0
        from generate_series(0, 255) as n;
      ${STEP_COMMIT({ ...t, users: t.decoys }, 'authn_decoy_commit')}
    `,
  },
  {
    version: 5,
    name: 'rate limits shared by every server on the database',
    // docs/adr/0014-rate-limits.md. The layout rate-limiter-flexible's PostgreSQL limiter reads and
    // upserts (`key`, `points`, `expire` in epoch ms); made here so that no server creates tables at
    // run time. Keys are a bucket name and a hash, never a username or a token in clear. Every
    // request updates a row: leave room for HOT updates. `sweep` deletes expired rows.
    sql: (t) => `
      create table ${t.rateLimits} (
        key    varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      ) with (fillfactor = 70);
    `,
  },
  {
    version: 6,
    name: 'the state each log entry left its transaction in',
    // The audit replay (authn-audit replay) compares each replayed step with the state recorded
    // beside its event, so it can name the first entry where they part. Entries written before
    // this migration have no state (null); the replay then compares the final state only. The two
    // commit functions are replaced to write it; the statements of the TransactionStore write it too.
    sql: (t) => `
      alter table ${t.log} add column state text;
      ${STEP_COMMIT(t, 'authn_step_commit', true)}
      ${STEP_COMMIT({ ...t, users: t.decoys }, 'authn_decoy_commit', true)}
    `,
  },
  {
    version: 7,
    name: 'the applications a step-up can target',
    // docs/adr/0028-step-up.md. One row per app: its id, and the whole encoded `App` (core's codec)
    // as jsonb, decoded on every read. An app is read by id or all at once ordered by id, so the
    // primary key is the only index. The check keeps the row's key and the app's own id the same.
    // `updated_at` is for operators only (when an administration or a seed last wrote the app);
    // no answer of the AppSource depends on it.
    sql: (t) => `
      create table ${t.apps} (
        id         text        primary key,
        app        jsonb       not null,
        updated_at timestamptz not null default now(),
        constraint apps_id_matches check (app->>'id' = id)
      );
    `,
  },
  {
    version: 8,
    name: 'a factor updated by its activation',
    // docs/adr/0029-challenge-factors.md. A registration completed at activation (WebAuthn, U2F)
    // replaces the factor's profile and sealed secret in the activation's own step: a new factor
    // change, `update`, checked like `activate` and applied in order. Both commit functions are
    // replaced (the decoy's refuses factor changes before reading them, as before).
    sql: (t) => `
      ${STEP_COMMIT(t, 'authn_step_commit', true, true)}
      ${STEP_COMMIT({ ...t, users: t.decoys }, 'authn_decoy_commit', true, true)}
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
