import { describe, expect, it } from 'vitest'
import { isHostLost, isMultiHostUrl, parseMultiHostUrl } from '../src/index.js'

describe('parseMultiHostUrl: libpq multi-host connection strings', () => {
  it('reads every host with its port, the user, the password and the database', () => {
    expect(parseMultiHostUrl('postgres://app:s%40cret@db1:5433,db2,[::1]:6000/authn?target_session_attrs=read-write')).toEqual({
      hosts: [
        { host: 'db1', port: 5433 },
        { host: 'db2', port: 5432 },
        { host: '::1', port: 6000 },
      ],
      user: 'app',
      password: 's@cret',
      database: 'authn',
    })
  })

  it('a single host without credentials or database', () => {
    expect(parseMultiHostUrl('postgresql://127.0.0.1')).toEqual({ hosts: [{ host: '127.0.0.1', port: 5432 }] })
    expect(isMultiHostUrl('postgres://u@h1:1/db')).toBe(false)
    expect(isMultiHostUrl('postgres://u@h1:1,h2:2/db')).toBe(true)
  })

  it('refuses what is not a postgres URL', () => {
    expect(() => parseMultiHostUrl('mysql://h/db')).toThrow()
    expect(() => parseMultiHostUrl('postgres:///db')).toThrow()
    expect(isMultiHostUrl('nonsense')).toBe(false)
  })
})

describe('isHostLost: which errors make the pool find the writable host again', () => {
  it('lost, refused or shut-down connections and a read-only server', () => {
    expect(isHostLost(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isHostLost(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isHostLost(Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' }))).toBe(true)
    expect(isHostLost(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true)
    expect(isHostLost(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true)
  })

  it('not a statement error of a healthy server', () => {
    expect(isHostLost(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false)
    expect(isHostLost(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
    expect(isHostLost(undefined)).toBe(false)
  })
})
