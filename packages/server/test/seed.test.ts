import { createMemoryUserStore } from '@authn-machine/adapter-memory'
import { seedOrg } from '@authn-machine/engine'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { describe, expect, it } from 'vitest'
import { describeUser, formatBanner, resolveRelativeDate, resolveRelativeDates } from '../src/index.js'
import { DEMO, demoSeed } from './support.js'

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0)

describe('relative dates in seeds', () => {
  it('resolves now, now-Nd, now-Nh, now+Nm and leaves anything else alone', () => {
    expect(resolveRelativeDate('now', NOW)).toBe('2026-11-29T12:00:00.000Z')
    expect(resolveRelativeDate('now-85d', NOW)).toBe('2026-09-05T12:00:00.000Z')
    expect(resolveRelativeDate(' now-12h ', NOW)).toBe('2026-11-29T00:00:00.000Z')
    expect(resolveRelativeDate('now+5m', NOW)).toBe('2026-11-29T12:05:00.000Z')
    expect(resolveRelativeDate('2025-01-01T00:00:00.000Z', NOW)).toBe('2025-01-01T00:00:00.000Z')
    expect(resolveRelativeDate('now-3w', NOW)).toBe('now-3w')
  })

  it('touches only users’ passwordChanged', () => {
    const seed = { users: [{ login: 'a', passwordChanged: 'now-1d', firstName: 'now' }, 'odd'], policies: { x: 'now' } }
    expect(resolveRelativeDates(seed, NOW)).toEqual({
      users: [{ login: 'a', passwordChanged: '2026-11-28T12:00:00.000Z', firstName: 'now' }, 'odd'],
      policies: { x: 'now' },
    })
    expect(resolveRelativeDates(null, NOW)).toBeNull()
  })
})

describe('the demo seed', () => {
  const load = async () => {
    const raw = demoSeed()
    const loaded = await seedOrg(resolveRelativeDates(raw, NOW), { users: createMemoryUserStore(), hasher: createTrivialHasher() }, NOW)()
    if (loaded._tag === 'Left') throw new Error(JSON.stringify(loaded.left))
    return { raw, org: loaded.right }
  }

  it('decodes, and covers active, locked, expired, warned and staged users', async () => {
    const { org } = await load()
    const what = Object.fromEntries(org.users.map((u) => [u.profile.login, describeUser(u, org, NOW)]))
    expect(what).toEqual({
      [DEMO.active.username]: 'SUCCESS',
      [DEMO.lockable.username]: 'SUCCESS',
      [DEMO.locked.username]: 'locked: LOCKED_OUT',
      [DEMO.expired.username]: 'PASSWORD_EXPIRED: must change the password',
      [DEMO.warned.username]: 'PASSWORD_WARN with options.warnBeforePasswordExpired=true, else SUCCESS',
      [DEMO.staged.username]: 'STAGED: sign in with the activation token → PASSWORD_RESET',
    })
    expect(org.policies.password.lockout).toEqual({ maxAttempts: 5, autoUnlockMinutes: 0, showLockoutFailures: true })
    expect(org.policies.password.age).toMatchObject({ maxAgeDays: 90, expireWarnDays: 10 })
    const staged = org.users.find((u) => u.status === 'STAGED')
    expect(staged?.credentials.passwordHash).toBeNull()
    expect(staged?.activationTokenHash).not.toBeNull()
  })

  it('prints passwords for the demo org and placeholders for an operator’s seed', async () => {
    const { raw, org } = await load()
    const banner = (showSecrets: boolean) =>
      formatBanner({ url: 'http://127.0.0.1:8080', publicUrl: 'http://127.0.0.1:8080', store: 'memory', seedLabel: 'demo', seed: raw, org, showSecrets, now: NOW })
    const demo = banner(true)
    expect(demo).toContain(`${DEMO.active.username}`)
    expect(demo).toContain(DEMO.active.password)
    expect(demo).toContain(`-d '{"username":"${DEMO.active.username}","password":"${DEMO.active.password}"}'`)
    // The Users API lifecycle operations need user ids: every row shows its user's.
    expect(demo).toContain('/api/v1/users/{id}/lifecycle/{unlock|suspend|unsuspend|deactivate|expire_password}')
    for (const u of org.users) expect(demo).toMatch(new RegExp(`${u.id}\\s+${u.profile.login.replace(/\./g, '\\.')}`))
    const operator = banner(false)
    expect(operator).not.toContain(DEMO.active.password)
    expect(operator).not.toContain(DEMO.staged.activationToken)
    expect(operator).toContain('<password>')
  })
})
