import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { createDevOutbox, devOutboxJson } from '../src/index.js'
import { message } from './fixtures.js'

describe('createDevOutbox', () => {
  it('keeps messages newest first and prints one line per message with recipient, purpose and text', async () => {
    const lines: string[] = []
    const outbox = createDevOutbox({ log: (l) => lines.push(l) })
    const a = message({ channel: 'sms', to: '+15555550100', text: 'Your code is 111111.' })
    const b = message({ channel: 'email', to: 'Ada@Example.com', purpose: 'recovery-code', text: 'Code 222222' })
    expect(await outbox.send(a)()).toEqual(E.right(undefined))
    expect(await outbox.send(b)()).toEqual(E.right(undefined))

    expect(outbox.messages()).toEqual([b, a])
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('sms to +15555550100 (mfa-challenge)')
    expect(lines[0]).toContain('Your code is 111111.')
    expect(lines[1]).toContain('email to Ada@Example.com (recovery-code)')
    expect(lines[1]).toContain('222222')
  })

  it('keeps only the most recent `capacity` messages', async () => {
    const outbox = createDevOutbox({ capacity: 3, log: () => {} })
    const sent = Array.from({ length: 7 }, () => message())
    for (const m of sent) await outbox.send(m)()
    expect(outbox.messages().map((m) => m.id)).toEqual([sent[6], sent[5], sent[4]].map((m) => m?.id))
  })

  it('filters by recipient: emails case-insensitively, phone numbers as given', async () => {
    const outbox = createDevOutbox({ log: () => {} })
    const e1 = message({ channel: 'email', to: 'ada@example.com' })
    const e2 = message({ channel: 'email', to: 'ADA@EXAMPLE.COM' })
    const p1 = message({ channel: 'sms', to: '+15555550100' })
    const p2 = message({ channel: 'call', to: '+15555550100' })
    const other = message({ channel: 'sms', to: '+15555550199' })
    for (const m of [e1, p1, e2, other, p2]) await outbox.send(m)()

    expect(outbox.messages({ to: 'Ada@Example.com' })).toEqual([e2, e1])
    expect(outbox.messages({ to: '+15555550100' })).toEqual([p2, p1])
    expect(outbox.messages({ to: '15555550100' })).toEqual([])
    expect(outbox.messages({ to: 'nobody@example.com' })).toEqual([])
  })

  it('a multi-line text stays on one log line', async () => {
    const lines: string[] = []
    const outbox = createDevOutbox({ log: (l) => lines.push(l) })
    await outbox.send(message({ text: 'line one\nline two 333333' }))()
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('\n')
    expect(lines[0]).toContain('333333')
  })

  it('still delivers and keeps the message when the log sink throws', async () => {
    const outbox = createDevOutbox({
      log: () => {
        throw new Error('sink down')
      },
    })
    const m = message()
    expect(await outbox.send(m)()).toEqual(E.right(undefined))
    expect(outbox.messages()).toEqual([m])
  })

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => createDevOutbox({ capacity: 0 })).toThrow(RangeError)
    expect(() => createDevOutbox({ capacity: 1.5 })).toThrow(RangeError)
  })
})

describe('devOutboxJson', () => {
  it('answers what GET /__dev/outbox lists, createdAt as ISO', () => {
    const m = message({ id: 'm-1', channel: 'email', to: 'ada@example.com', createdAt: Date.UTC(2026, 0, 2, 3, 4, 5) })
    expect(devOutboxJson([m])).toEqual([
      {
        id: 'm-1',
        channel: 'email',
        to: 'ada@example.com',
        subject: m.subject,
        text: m.text,
        purpose: m.purpose,
        createdAt: '2026-01-02T03:04:05.000Z',
      },
    ])
    expect(JSON.parse(JSON.stringify(devOutboxJson([m])))).toEqual(devOutboxJson([m]))
  })
})
