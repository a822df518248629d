// Everything that changes the run's recorder goes through one queue, in the order it happened: with worker
// threads an interval's spans arrive a moment after its boundary, and the phase change, the events after it and
// the next boundary must wait for them, so that nothing is charged to the wrong interval or phase.
export class RecorderFeed {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void) {}

  then(step: () => void | Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch(this.onError);
    return this.chain;
  }

  /** Resolves once every step queued so far has run. */
  settled(): Promise<void> {
    return this.chain;
  }
}
