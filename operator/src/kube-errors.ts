/** The value of a read, or undefined when the object does not exist (404); any other error is thrown. */
export async function orUndefinedIfAbsent<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
