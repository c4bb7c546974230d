/**
 * Starts a program on ports picked by freePort(), again with new ones when it lost one of them
 * before binding (another test's process took it in between: "address already in use").
 */
export async function retryOnPortClash<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !String(error).includes("address already in use")) throw error;
    }
  }
}
