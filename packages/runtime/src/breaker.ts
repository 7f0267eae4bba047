// Circuit breakers, one per model: closed (calls flow; outcomes are counted over a sliding
// window) → open (after the failure rate crosses the threshold: calls are refused with
// `circuit_open`, so fallbacks take the traffic) → half-open (after a cool-down, one probe
// call; its success closes the circuit, its failure opens it again).

export interface BreakerOptions {
  /** Outcomes remembered per model (default 20). */
  readonly window: number;
  /** Fewest outcomes before the circuit may open (default 5). */
  readonly minCalls: number;
  /** Failure rate in [0, 1] that opens the circuit (default 0.5). */
  readonly failureRate: number;
  /** How long the circuit stays open before a probe (default 30 s). */
  readonly openMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { window: 20, minCalls: 5, failureRate: 0.5, openMs: 30_000 };

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * A fleet's shared breakers (see `StateStore.join`): this instance tells the fleet when a
 * circuit opens or closes, and claims the half-open probe, so that one instance probes.
 * The fleet's own transitions come back through `Breakers.apply`.
 */
export interface BreakerFleet {
  /** This instance opened `model`'s circuit, for `openMs`. */
  opened(model: string, openMs: number): void;
  /** This instance's probe succeeded: `model`'s circuit is closed. */
  closed(model: string): void;
  /** Claims `model`'s half-open probe for `ttlMs`: true when this instance may send it. */
  claimProbe(model: string, ttlMs: number): Promise<boolean>;
}

/** A transition of a model's circuit, reported to a `Breakers`' listener. */
type Transition = 'opened' | 'closed';

export class CircuitBreaker {
  private outcomes: boolean[] = [];
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  private probeStartedAt = 0;

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number,
    private readonly onTransition?: (transition: Transition) => void,
  ) {}

  /** The state, moving from open to half-open once the cool-down is over. */
  current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.openMs) {
      this.state = 'half_open';
      this.probing = false;
    }
    return this.state;
  }

  /**
   * Whether a call may start now (in half-open, only one probe at a time). A probe that
   * started more than `openMs` ago without an outcome (a host that lost it) no longer holds
   * the slot, so a breaker can never stay half-open for ever.
   */
  allow(): boolean {
    const state = this.current();
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.probing && this.now() - this.probeStartedAt < this.options.openMs) return false;
    this.probing = true;
    this.probeStartedAt = this.now();
    return true;
  }

  /** A call allowed by `allow()` ended without an outcome (the caller cancelled it): frees the probe slot. */
  release(): void {
    if (this.state === 'half_open') this.probing = false;
  }

  /** Records a call's outcome (`true`: success). */
  record(success: boolean): void {
    if (this.state === 'half_open') {
      this.probing = false;
      if (success) {
        this.state = 'closed';
        this.outcomes = [];
        this.onTransition?.('closed');
      } else this.open();
      return;
    }
    this.outcomes.push(success);
    if (this.outcomes.length > this.options.window) this.outcomes.shift();
    const failures = this.outcomes.filter((o) => !o).length;
    if (this.outcomes.length >= this.options.minCalls && failures / this.outcomes.length >= this.options.failureRate) this.open();
  }

  /**
   * Another instance opened this circuit (`remainingMs` of its cool-down are left) or closed
   * it: adopted without telling the fleet back.
   */
  adopt(state: { readonly open: true; readonly remainingMs: number } | { readonly open: false }): void {
    this.probing = false;
    this.outcomes = [];
    if (state.open) {
      this.state = 'open';
      this.openedAt = this.now() - Math.max(0, this.options.openMs - state.remainingMs);
    } else this.state = 'closed';
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = this.now();
    this.outcomes = [];
    this.onTransition?.('opened');
  }
}

/** The breakers of a router, created on first use. */
export class Breakers {
  private readonly byModel = new Map<string, CircuitBreaker>();
  private fleet: BreakerFleet | undefined;

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly now: () => number = Date.now,
  ) {}

  of(model: string): CircuitBreaker {
    let b = this.byModel.get(model);
    if (!b) {
      b = new CircuitBreaker(this.options, this.now, (transition) => {
        if (transition === 'opened') this.fleet?.opened(model, this.options.openMs);
        else this.fleet?.closed(model);
      });
      this.byModel.set(model, b);
    }
    return b;
  }

  /** Shares these breakers with a fleet (undefined: stops sharing). */
  share(fleet: BreakerFleet | undefined): void {
    this.fleet = fleet;
  }

  /** The cool-down of an opened circuit (ms). */
  get openMs(): number {
    return this.options.openMs;
  }

  /** A transition another instance made: adopted by this instance's breaker for `model`. */
  apply(model: string, state: { readonly open: true; readonly remainingMs: number } | { readonly open: false }): void {
    this.of(model).adopt(state);
  }

  /**
   * Whether a call to `model` may start now. In a fleet, a half-open circuit's probe is
   * claimed from the fleet too (asynchronously): an instance that loses the claim refuses,
   * as if the circuit were open, and its local probe slot is freed.
   */
  admit(model: string): boolean | Promise<boolean> {
    const breaker = this.of(model);
    const probe = breaker.current() === 'half_open';
    const allowed = breaker.allow();
    const fleet = this.fleet;
    if (!allowed || !probe || !fleet) return allowed;
    return fleet.claimProbe(model, this.options.openMs).then(
      (won) => {
        if (!won) breaker.release();
        return won;
      },
      // The fleet cannot say: this instance's own breaker decides.
      () => true,
    );
  }

  /** The state of every model's breaker that has seen traffic. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.byModel].map(([m, b]) => [m, b.current()]));
  }
}
