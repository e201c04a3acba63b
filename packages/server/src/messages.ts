import type { MessageSender, OutboundMessage } from '@authn-machine/core'
import {
  createDevOutbox,
  createSmtpSender,
  createTwilioSender,
  createWebhookSender,
  routeByChannel,
  type DevOutbox,
} from '@authn-machine/message-senders'

export type Channel = OutboundMessage['channel']

/** The channels, in the order the start-up line lists them. */
export const CHANNELS: ReadonlyArray<Channel> = ['email', 'sms', 'call']

/** Where one channel's messages go. The secrets come from the environment (see USAGE). */
export type ChannelRoute =
  | { readonly kind: 'dev-outbox' }
  | { readonly kind: 'smtp'; readonly url: string; readonly from: string }
  | {
      readonly kind: 'twilio'
      readonly accountSid: string
      readonly authToken: string
      readonly from: string
      /** null: the sender's default, Twilio's public API. */
      readonly baseUrl: string | null
    }
  | { readonly kind: 'webhook'; readonly url: string; readonly secret: string }

export type MessageRoutes = { readonly [C in Channel]: ChannelRoute }

const DEV_OUTBOX: ChannelRoute = { kind: 'dev-outbox' }

/** The default: every channel to the dev outbox (kept in memory and printed to the server log). */
export const DEV_OUTBOX_ROUTES: MessageRoutes = { email: DEV_OUTBOX, sms: DEV_OUTBOX, call: DEV_OUTBOX }

/** The raw settings, from flags or the environment; `undefined` when not given. */
export interface MessageSettings {
  readonly smtpUrl?: string | undefined
  readonly smtpFrom?: string | undefined
  readonly twilioAccountSid?: string | undefined
  readonly twilioFrom?: string | undefined
  readonly twilioBaseUrl?: string | undefined
  readonly twilioAuthToken?: string | undefined
  readonly smsWebhookUrl?: string | undefined
  readonly callWebhookUrl?: string | undefined
  readonly emailWebhookUrl?: string | undefined
  readonly webhookSecret?: string | undefined
}

export const DEFAULT_SMTP_FROM = 'authn-machine <no-reply@localhost>'

type Checked<A> = A | { readonly error: string }

const isError = <A>(c: Checked<A>): c is { readonly error: string } => typeof c === 'object' && c !== null && 'error' in c

/**
 * Checks an SMTP URL as the SMTP sender reads it. The messages never repeat the URL: it holds the
 * password.
 */
const checkSmtpUrl = (s: string): Checked<string> => {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return { error: 'the SMTP URL is not a URL (expected smtp://user:password@host:port or smtps://…)' }
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') return { error: 'the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS)' }
  if (u.hostname === '') return { error: 'the SMTP URL has no host' }
  if (u.search !== '' || u.hash !== '' || (u.pathname !== '' && u.pathname !== '/'))
    return { error: 'the SMTP URL must not have a path, query or fragment (only smtp[s]://user:password@host:port)' }
  try {
    decodeURIComponent(u.username)
    decodeURIComponent(u.password)
  } catch {
    return { error: 'the SMTP URL has a malformed %-escape in its user or password' }
  }
  return s
}

/** An http(s) URL without credentials. The messages never repeat it: paths of webhooks often hold a secret. */
const checkHttpEndpoint = (s: string, name: string, allowQuery: boolean): Checked<string> => {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return { error: `${name} is not a URL` }
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `${name} must be an http(s) URL` }
  if (u.username !== '' || u.password !== '') return { error: `${name} must not hold credentials (user:password@)` }
  if (u.hash !== '' || (!allowQuery && u.search !== '')) return { error: `${name} must not have a ${allowQuery ? '' : 'query or '}fragment` }
  return u.href
}

const E164 = /^\+[1-9]\d{1,14}$/

const twilioRoute = (s: MessageSettings): Checked<ChannelRoute | null> => {
  if (s.twilioAccountSid === undefined) {
    if (s.twilioFrom !== undefined || s.twilioBaseUrl !== undefined)
      return { error: '--twilio-from and --twilio-base-url need --twilio-account-sid (AUTHN_TWILIO_ACCOUNT_SID)' }
    return null
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(s.twilioAccountSid)) return { error: 'the Twilio account SID must be letters, digits and -' }
  if (s.twilioAuthToken === undefined) return { error: 'Twilio needs its auth token in the environment: AUTHN_TWILIO_AUTH_TOKEN' }
  if (/\s/.test(s.twilioAuthToken)) return { error: 'AUTHN_TWILIO_AUTH_TOKEN must not contain spaces' }
  if (s.twilioFrom === undefined) return { error: 'Twilio needs the sending number: --twilio-from (AUTHN_TWILIO_FROM)' }
  if (!E164.test(s.twilioFrom)) return { error: `the Twilio sending number must be in E.164 form, e.g. +15005550006, got '${s.twilioFrom}'` }
  const baseUrl = s.twilioBaseUrl === undefined ? null : checkHttpEndpoint(s.twilioBaseUrl, 'the Twilio base URL', false)
  if (baseUrl !== null && isError(baseUrl)) return baseUrl
  return { kind: 'twilio', accountSid: s.twilioAccountSid, authToken: s.twilioAuthToken, from: s.twilioFrom, baseUrl }
}

const smtpRoute = (s: MessageSettings): Checked<ChannelRoute | null> => {
  if (s.smtpUrl === undefined) return s.smtpFrom === undefined ? null : { error: '--smtp-from needs --smtp-url (AUTHN_SMTP_URL)' }
  const url = checkSmtpUrl(s.smtpUrl)
  if (isError(url)) return url
  const from = s.smtpFrom ?? DEFAULT_SMTP_FROM
  if (!from.includes('@') || /[\r\n]/.test(from))
    return { error: `the SMTP sender must be an email address, e.g. 'Example <no-reply@example.com>', got '${from.replace(/[\r\n]/g, ' ')}'` }
  return { kind: 'smtp', url, from }
}

const webhookRoute = (url: string | undefined, channel: Channel, secret: string | undefined): Checked<ChannelRoute | null> => {
  if (url === undefined) return null
  const checked = checkHttpEndpoint(url, `the ${channel} webhook URL`, true)
  if (isError(checked)) return checked
  if (secret === undefined) return { error: `the ${channel} webhook needs its signing secret in the environment: AUTHN_WEBHOOK_SECRET` }
  if (secret.length < 16) return { error: 'AUTHN_WEBHOOK_SECRET must have at least 16 characters' }
  return { kind: 'webhook', url: checked, secret }
}

/**
 * Where each channel goes: SMTP for email (`--smtp-url`), Twilio for sms and call
 * (`--twilio-account-sid`), a signed webhook per channel (`--<channel>-webhook-url`), else the dev
 * outbox. Two senders for one channel are refused. Messages never repeat a password, token or
 * webhook URL.
 */
export const messageRoutesFrom = (s: MessageSettings): Checked<MessageRoutes> => {
  const candidates: ReadonlyArray<{ readonly option: string; readonly channels: ReadonlyArray<Channel>; readonly route: Checked<ChannelRoute | null> }> = [
    { option: '--smtp-url', channels: ['email'], route: smtpRoute(s) },
    { option: '--twilio-account-sid', channels: ['sms', 'call'], route: twilioRoute(s) },
    { option: '--email-webhook-url', channels: ['email'], route: webhookRoute(s.emailWebhookUrl, 'email', s.webhookSecret) },
    { option: '--sms-webhook-url', channels: ['sms'], route: webhookRoute(s.smsWebhookUrl, 'sms', s.webhookSecret) },
    { option: '--call-webhook-url', channels: ['call'], route: webhookRoute(s.callWebhookUrl, 'call', s.webhookSecret) },
  ]
  const routes: { [C in Channel]: ChannelRoute } = { ...DEV_OUTBOX_ROUTES }
  const claimedBy: { [C in Channel]?: string } = {}
  for (const { option, channels, route } of candidates) {
    if (route === null) continue
    if (isError(route)) return route
    for (const channel of channels) {
      const earlier = claimedBy[channel]
      if (earlier !== undefined) return { error: `two senders for the ${channel} channel: ${earlier} and ${option}; configure one` }
      claimedBy[channel] = option
      routes[channel] = route
    }
  }
  return routes
}

/** A URL for the log: scheme, host and port only, with `/…` when there is more (paths can hold secrets). */
const originOnly = (url: string): string => {
  const u = new URL(url)
  return `${u.origin}${u.pathname === '/' && u.search === '' ? '' : '/…'}`
}

/** One channel's destination in words, without a password, token or secret. */
export const describeRoute = (route: ChannelRoute): string => {
  switch (route.kind) {
    case 'dev-outbox':
      return 'dev outbox'
    case 'smtp': {
      const u = new URL(route.url)
      const secure = u.protocol === 'smtps:'
      const port = u.port === '' ? (secure ? 465 : 587) : Number(u.port)
      const user = u.username === '' ? 'no auth' : `user ${decodeURIComponent(u.username)}`
      return `${u.protocol}//${u.hostname}:${port} (${user}, from ${route.from})`
    }
    case 'twilio': {
      const sid = route.accountSid.length > 8 ? `${route.accountSid.slice(0, 4)}…${route.accountSid.slice(-4)}` : route.accountSid
      const where = route.baseUrl === null ? 'Twilio' : `Twilio-shaped API at ${originOnly(route.baseUrl)}`
      return `${where} (account ${sid}, from ${route.from})`
    }
    case 'webhook':
      return `webhook ${originOnly(route.url)} (signed)`
  }
}

/** The start-up line: `messages: email → …, sms → dev outbox, call → dev outbox`. */
export const describeMessageRoutes = (routes: MessageRoutes): string =>
  `messages: ${CHANNELS.map((c) => `${c} → ${describeRoute(routes[c])}`).join(', ')}`

export interface ServerMessaging {
  /** Sends each message through its channel's sender. */
  readonly sender: MessageSender
  /** The dev outbox: the messages of the channels routed to it (empty when none is). */
  readonly outbox: DevOutbox
}

/** Builds the senders of the routes; the dev outbox prints its one line per message with `log` (default stdout). */
export const createServerMessaging = (routes: MessageRoutes, log?: (line: string) => void): ServerMessaging => {
  const outbox = createDevOutbox(log === undefined ? {} : { log })
  const build = (route: ChannelRoute): MessageSender => {
    switch (route.kind) {
      case 'dev-outbox':
        return outbox
      case 'smtp':
        return createSmtpSender({ url: route.url, from: route.from })
      case 'twilio':
        return createTwilioSender({
          accountSid: route.accountSid,
          authToken: route.authToken,
          from: route.from,
          ...(route.baseUrl === null ? {} : { baseUrl: route.baseUrl }),
        })
      case 'webhook':
        return createWebhookSender({ url: route.url, secret: route.secret })
    }
  }
  return { outbox, sender: routeByChannel({ email: build(routes.email), sms: build(routes.sms), call: build(routes.call) }) }
}
