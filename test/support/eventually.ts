/** Polls `check` until it holds (true) or the time is up (false). */
export const eventually = async (check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return true;
};
