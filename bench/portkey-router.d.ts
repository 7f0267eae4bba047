/** Portkey's `ConditionalRouter`, as the gateway constructs it per request. */
export interface PortkeyConditionalRouter {
  resolveTarget(): { name?: string; index: number; [key: string]: unknown };
}
/** The class, cut out of the installed @portkey-ai/gateway bundle (Portkey's own code). */
export function loadConditionalRouter(): new (config: unknown, context: { metadata?: unknown; params?: unknown }) => PortkeyConditionalRouter;
