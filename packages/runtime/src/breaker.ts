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

export class CircuitBreaker {
  private outcomes: boolean[] = [];
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  private probeStartedAt = 0;

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number,
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
      } else this.open();
      return;
    }
    this.outcomes.push(success);
    if (this.outcomes.length > this.options.window) this.outcomes.shift();
    const failures = this.outcomes.filter((o) => !o).length;
    if (this.outcomes.length >= this.options.minCalls && failures / this.outcomes.length >= this.options.failureRate) this.open();
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = this.now();
    this.outcomes = [];
  }
}

/** The breakers of a router, created on first use. */
export class Breakers {
  private readonly byModel = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly now: () => number = Date.now,
  ) {}

  of(model: string): CircuitBreaker {
    let b = this.byModel.get(model);
    if (!b) {
      b = new CircuitBreaker(this.options, this.now);
      this.byModel.set(model, b);
    }
    return b;
  }

  /** The state of every model's breaker that has seen traffic. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.byModel].map(([m, b]) => [m, b.current()]));
  }
}
