/** Copies text; false when the browser refuses (no clipboard access outside a secure context, or denied). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
