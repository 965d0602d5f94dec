/**
 * KeyedMutex is used to run async work one at a time per key (a claim id), while work on other
 * keys goes on in parallel. Entries are dropped once their queue drains, so memory stays bounded.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** size is used by tests to check that drained keys are forgotten. */
  get size(): number {
    return this.#tails.size;
  }
}
