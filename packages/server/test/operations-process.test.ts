// The server process's logs: JSON lines on stdout beside the human banner (which scripts still
// read), at the level of --log-level (docs/adr/0021-operations.md).
import { afterEach, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'
import { DEMO, postJson } from './support.js'

const processes = createProcesses()
afterEach(() => processes.killAll())

/** The JSON lines of an output, parsed; the banner's lines are not JSON. */
const jsonLines = (stdout: string): ReadonlyArray<Record<string, unknown>> =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('the server process logs', () => {
  it('JSON lines on stdout, the banner intact: start, requests, audit entries, stop; no password or token in them', async () => {
    const server = processes.launch(['--port', '0', '--store', 'memory'])
    const url = await server.ready
    const r = await postJson(`${url}/api/v1/authn`, DEMO.active)
    expect(r.body['status']).toBe('SUCCESS')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)

    const { stdout } = server.output()
    expect(stdout).toContain(`listening on ${url}`)
    const lines = jsonLines(stdout)
    const msgs = lines.map((l) => l['msg'])
    expect(msgs[0]).toBe('server started')
    expect(msgs).toContain('audit')
    expect(msgs.slice(-2)).toEqual(['server stopping: finishing in-flight requests', 'server stopped'])
    expect(lines.find((l) => l['msg'] === 'request')).toMatchObject({ requestId: r.headers.get('x-okta-request-id'), route: '/api/v1/authn', status: 200 })
    const logged = JSON.stringify(lines)
    for (const secret of [DEMO.active.password, DEMO.active.username, String(r.body['sessionToken'])]) expect(logged).not.toContain(secret)
  })

  it('--log-level warn leaves out request and audit lines', async () => {
    const server = processes.launch(['--port', '0', '--store', 'memory', '--log-level', 'warn'])
    const url = await server.ready
    expect((await postJson(`${url}/api/v1/authn`, DEMO.active)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
    expect(jsonLines(server.output().stdout)).toEqual([])
  })
})
