import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { App } from '../model/app.js'
import type { StoreError } from './errors.js'

/**
 * The applications a step-up can target (docs/adr/0028-step-up.md). Read when a step-up starts
 * (`find`) and when its `original` link is followed (the return URL comes from here, never from a
 * request); written by an embedding server's administration (`put`, `remove`) and by seeds.
 * Implemented by every adapter and checked by the shared conformance suite.
 */
export interface AppSource {
  /** The app with this id; `NotFound` when there is none. */
  readonly find: (id: string) => TaskEither<StoreError, App>
  /** Every app, ordered by id. */
  readonly list: () => TaskEither<StoreError, ReadonlyArray<App>>
  /** Adds the app, or replaces the one with its id; answers what is stored. */
  readonly put: (app: App) => TaskEither<StoreError, App>
  /** Removes the app with this id; `NotFound` when there is none. */
  readonly remove: (id: string) => TaskEither<StoreError, void>
}
