/**
 * Epoch milliseconds with sub-millisecond resolution, from the monotonic clock. Every capture listener stamps its
 * exchanges with this one clock: linking compares an HTTP exchange's window with its database calls' windows, and
 * Date.now() (whole milliseconds, and offset from this clock by up to a millisecond or two) would put a fast call
 * outside the request that made it.
 */
export const epochNow = (): number => performance.timeOrigin + performance.now();
