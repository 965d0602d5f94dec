// A binary min-heap of (due time, key) for the queue's delayed adds. Entries are never removed in
// place: the queue keeps the authoritative due time per key and skips stale entries when they pop.

/** DelayedEntry is used to hold one delayed add. */
export interface DelayedEntry {
  key: string;
  due: number;
  /** Insertion order, so equal due times pop first-in first-out (deterministic). */
  seq: number;
}

const before = (a: DelayedEntry, b: DelayedEntry): boolean =>
  a.due < b.due || (a.due === b.due && a.seq < b.seq);

/** DelayHeap is used to find the earliest delayed add in O(log n). */
export class DelayHeap {
  readonly #items: DelayedEntry[] = [];
  #seq = 0;

  /** size is used to tell how many entries (stale ones included) are held. */
  get size(): number {
    return this.#items.length;
  }

  /** push is used to add an entry due at `due`. */
  push(key: string, due: number): void {
    this.#items.push({ key, due, seq: this.#seq++ });
    this.#up(this.#items.length - 1);
  }

  /** peek is used to read the earliest entry without removing it. */
  peek(): DelayedEntry | undefined {
    return this.#items[0];
  }

  /** pop is used to remove and return the earliest entry. */
  pop(): DelayedEntry | undefined {
    const top = this.#items[0];
    const last = this.#items.pop();
    if (top === undefined || last === undefined || this.#items.length === 0) return top;
    this.#items[0] = last;
    this.#down(0);
    return top;
  }

  /** clear is used on shutdown to drop every entry. */
  clear(): void {
    this.#items.length = 0;
  }

  #up(start: number): void {
    for (let i = start; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(start: number): void {
    for (let i = start; ;) {
      let smallest = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < this.#items.length && this.#less(child, smallest)) smallest = child;
      }
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #less(i: number, j: number): boolean {
    const a = this.#items[i];
    const b = this.#items[j];
    return a !== undefined && b !== undefined && before(a, b);
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i];
    const b = this.#items[j];
    if (a === undefined || b === undefined) return;
    this.#items[i] = b;
    this.#items[j] = a;
  }
}
