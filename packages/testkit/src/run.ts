import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'

/** Runs a TaskEither. */
export const run = <E, A>(te: TaskEither<E, A>): Promise<Either<E, A>> => te()

const show = (x: unknown) => {
  try {
    return JSON.stringify(x)
  } catch {
    return String(x)
  }
}

/** The Right value, or a thrown assertion error that shows the Left. */
export const expectRight = <E, A>(e: Either<E, A>): A => {
  if (e._tag === 'Left') throw new Error(`expected Right, got Left ${show(e.left)}`)
  return e.right
}

/** The Left value, or a thrown assertion error that shows the Right. */
export const expectLeft = <E, A>(e: Either<E, A>): E => {
  if (e._tag === 'Right') throw new Error(`expected Left, got Right ${show(e.right)}`)
  return e.left
}
