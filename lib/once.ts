/**
 * `make()` run once, its promise kept for every later call, unless it fails: a failed start (a
 * config that does not load, an SSM read refused, a queue not found yet) must not be kept, or the
 * container would fail every invocation until Lambda recycles it. The next call tries again.
 *
 *   make resolves 'a'              -> calls 1, 2, 3 get 'a'; make ran once
 *   make rejects, then resolves 'b' -> call 1 rejects; call 2 gets 'b'; make ran twice
 */
export function keptUnlessFailed<T>(make: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    if (kept) return kept;
    const made = make();
    kept = made;
    made.catch(() => {
      if (kept === made) kept = undefined;
    });
    return made;
  };
}
