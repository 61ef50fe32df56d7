const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes a value for XML text and attribute positions; refuses control characters. */
export function escapeXml(value: string | number): string {
  const text = String(value);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) {
    throw new Error('Control characters cannot appear in domain XML');
  }
  return text.replace(/[&<>"']/g, c => entities[c]);
}
