import * as E from 'fp-ts/lib/Either.js'
import type { DeliveryError } from '@authn-machine/core'
import { unreachable } from './delivery-error.js'

/** The `fetch` a sender uses (Node's built-in by default); injectable for tests and proxies. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>

export interface HttpAnswer {
  readonly status: number
  readonly body: string
}

const isTimeout = (e: unknown): boolean =>
  e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')

/**
 * POSTs and reads the whole answer, both within `timeoutMs` (`AbortSignal.timeout`). A network
 * error or the timeout is `Unreachable`; any HTTP answer is returned for the caller to classify.
 * Never rejects.
 */
export async function httpPost(
  fetchFn: FetchFn,
  service: string,
  url: string,
  init: { readonly headers: Record<string, string>; readonly body: string },
  timeoutMs: number,
): Promise<E.Either<DeliveryError, HttpAnswer>> {
  try {
    const signal = AbortSignal.timeout(timeoutMs)
    const res = await fetchFn(url, { method: 'POST', headers: init.headers, body: init.body, signal, redirect: 'manual' })
    const body = await res.text()
    return E.right({ status: res.status, body })
  } catch (e) {
    if (isTimeout(e)) return E.left(unreachable(`${service}: no answer within ${timeoutMs} ms`))
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : ''
    const message = e instanceof Error ? e.message : String(e)
    return E.left(unreachable(`${service}: request failed (${message}${cause})`))
  }
}
