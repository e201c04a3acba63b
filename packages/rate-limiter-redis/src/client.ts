import type { Cluster, Redis } from 'ioredis'

/** The clients the limiter works with: one ioredis `Redis` (a server, or a primary) or an ioredis `Cluster`. */
export type RedisClient = Redis | Cluster

/** Whether `client` is an ioredis `Cluster` (asked of the client, so two copies of ioredis still agree). */
export const isCluster = (client: RedisClient): client is Cluster => client.isCluster

/** The servers that hold keys: the cluster's primaries, or the one server. */
export const keyHolders = (client: RedisClient): ReadonlyArray<Redis> => (isCluster(client) ? client.nodes('master') : [client])
