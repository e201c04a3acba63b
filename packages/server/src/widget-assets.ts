import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, extname, join, posix } from 'node:path'

/**
 * The Okta Sign-In Widget's files, served unmodified from the installed npm package
 * (`@okta/okta-signin-widget`) under `/widget/<version>/`, with the package's own `dist/` layout
 * so that the style sheet's relative `url(../font/…)` and `url(../img/…)` resolve. Only what the
 * page needs is read: the bundle, its style sheet, every file the style sheet names, and the
 * label files of the languages the widget can load. Read once per process, then kept in memory.
 */
export const WIDGET_PACKAGE = '@okta/okta-signin-widget'
export const WIDGET_PREFIX = '/widget/'
/** The route template of every widget file, for the request lines and the metrics. */
export const WIDGET_ROUTE = '/widget/{version}/{file}'

/** The bundle (classic and Identity Engine; classic is what runs without a clientId) and its styles. */
export const WIDGET_SCRIPT = 'js/okta-sign-in.min.js'
export const WIDGET_STYLES = 'css/okta-sign-in.min.css'

export interface WidgetFile {
  readonly body: Buffer
  readonly contentType: string
  readonly etag: string
}

export interface WidgetAssets {
  /** The installed package's version, which is part of every file's path. */
  readonly version: string
  /** `/widget/<version>` (no trailing slash): the widget's `assets.baseUrl`. */
  readonly base: string
  /** The files by their path under `dist/`, e.g. `js/okta-sign-in.min.js`. */
  readonly files: ReadonlyMap<string, WidgetFile>
  /** The absolute path of a file (`/widget/<version>/<file>`). */
  readonly pathOf: (file: string) => string
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
}

/** The `dist/` paths a style sheet in `dist/css/` names with `url(…)`, without query or fragment. */
export const stylesheetReferences = (css: string): ReadonlyArray<string> => {
  const found = new Set<string>()
  for (const m of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
    const ref = (m[2] ?? '').replace(/[?#].*$/, '')
    if (ref === '' || /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('/')) continue
    const resolved = posix.normalize(posix.join('css', ref))
    if (!resolved.startsWith('..') && CONTENT_TYPES[extname(resolved)] !== undefined) found.add(resolved)
  }
  return [...found].sort()
}

const fileOf = (file: string, body: Buffer): WidgetFile => ({
  body,
  contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
})

/** The folder of the installed widget package (its `package.json`'s folder). */
export const widgetPackageDir = (): string => dirname(createRequire(import.meta.url).resolve(`${WIDGET_PACKAGE}/package.json`))

let loaded: Promise<WidgetAssets> | null = null

/**
 * Reads the widget's files (once per process: they are immutable for an installed version). Fails
 * when the package is not installed or a file the style sheet names is missing.
 */
export const loadWidgetAssets = (): Promise<WidgetAssets> => {
  loaded ??= (async () => {
    const dir = widgetPackageDir()
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { readonly version?: unknown }
    if (typeof manifest.version !== 'string' || !/^[0-9A-Za-z.+-]+$/.test(manifest.version)) throw new Error(`${WIDGET_PACKAGE}: no usable version in its package.json`)
    const dist = join(dir, 'dist')
    const styles = await readFile(join(dist, WIDGET_STYLES))
    const labels = (await readdir(join(dist, 'labels', 'json'))).filter((f) => f.endsWith('.json')).map((f) => `labels/json/${f}`)
    const wanted = [WIDGET_SCRIPT, ...stylesheetReferences(styles.toString('utf8')), ...labels]
    const files = new Map<string, WidgetFile>([[WIDGET_STYLES, fileOf(WIDGET_STYLES, styles)]])
    await Promise.all(
      wanted.map(async (file) => {
        files.set(file, fileOf(file, await readFile(join(dist, file))))
      }),
    )
    const base = `${WIDGET_PREFIX}${manifest.version}`
    return { version: manifest.version, base, files, pathOf: (file: string) => `${base}/${file}` }
  })()
  // A failed read is not kept: the next start tries again.
  loaded.catch(() => {
    loaded = null
  })
  return loaded
}

/** The file a request path names (`/widget/<version>/<file>`), if it is one of the widget's. */
export const widgetFileOf = (assets: WidgetAssets, path: string): WidgetFile | undefined => {
  if (!path.startsWith(`${assets.base}/`)) return undefined
  return assets.files.get(path.slice(assets.base.length + 1))
}

/**
 * Answers a widget file (GET or HEAD): cached for a year and immutable, since the path holds the
 * package's version; `ETag` and `If-None-Match` for revalidation; readable from any origin (the
 * widget may be embedded in a page on another origin, whose fonts need CORS). Anything else is left
 * to the caller.
 */
export const answerWidgetFile = (assets: WidgetAssets, req: IncomingMessage, res: ServerResponse, path: string): boolean => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const file = widgetFileOf(assets, path)
  if (file === undefined) return false
  const headers = {
    'cache-control': 'public, max-age=31536000, immutable',
    etag: file.etag,
    'x-content-type-options': 'nosniff',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  }
  const match = req.headers['if-none-match']
  if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
    res.writeHead(304, headers)
    res.end()
    return true
  }
  res.writeHead(200, { ...headers, 'content-type': file.contentType, 'content-length': file.body.byteLength })
  res.end(req.method === 'HEAD' ? undefined : file.body)
  return true
}
