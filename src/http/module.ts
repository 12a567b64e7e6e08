import type { App } from './types.js';

/** A Fastify plugin of one domain's routes (`async (app) => { app.get(...) }`). */
export type RoutePlugin = (app: App) => Promise<void>;

/**
 * A domain's HTTP routes, by who may call them. `buildApp` (src/app.ts) registers each list in
 * the scope of its audience; a module never installs an authentication hook itself.
 */
export interface ModuleRoutes {
  /** Routes that authenticate on their own (credentials in the body, an external key, EST) or not at all. */
  open?: readonly RoutePlugin[];
  /** Routes behind the device-token check (`Authorization: Bearer <device token>`). */
  device?: readonly RoutePlugin[];
  /** Routes behind the user-token check (management API and console). */
  management?: readonly RoutePlugin[];
}

/**
 * What every domain's `createXModule(deps)` returns, beside the services and ports it offers:
 * its routes, and how to stop its background work (buffers flushed, workers stopped). `close`
 * runs before the store closes, in the reverse order of `gatehouse.modules`.
 */
export interface Module {
  routes: ModuleRoutes;
  close?(): Promise<void>;
}
