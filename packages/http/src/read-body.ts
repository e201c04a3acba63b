import type { IncomingMessage } from 'node:http'
import { BODY_TOO_LARGE, type BodyTooLarge } from './types.js'

/** Bytes past the limit that are still read (and dropped) so the client gets to see the 413. */
const DRAIN_LIMIT = 1024 * 1024

/**
 * Reads a request body of at most `limit` bytes. A declared `Content-Length` above the limit is
 * refused before reading; a longer stream is read on (and dropped) up to about 1 MiB more, so the
 * client is done sending when the 413 arrives, and beyond that reading stops.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | BodyTooLarge | null> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limit + DRAIN_LIMIT) {
      // Not read at all: the 413 goes out with `Connection: close`.
      resolve(BODY_TOO_LARGE)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (value: Buffer | BodyTooLarge | null) => {
      if (settled) return
      settled = true
      resolve(value)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > limit + DRAIN_LIMIT) {
        req.pause()
        settle(BODY_TOO_LARGE)
      }
    })
    req.on('end', () => settle(size > limit ? BODY_TOO_LARGE : size === 0 ? null : Buffer.concat(chunks, size)))
    req.on('error', (e) => {
      if (!settled) {
        settled = true
        reject(e)
      }
    })
  })
