/** What a thrown value says, whether or not it is an Error (WASM glue and libraries throw strings too). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
