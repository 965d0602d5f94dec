// Small formatters shared by the pages.

/** ago is used to show how long ago a time was, in the UI's language. */
export function ago(iso: string | null, language: 'en' | 'zh'): string {
  if (!iso) return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const fmt = new Intl.RelativeTimeFormat(language === 'zh' ? 'zh-CN' : 'en', { numeric: 'auto' });
  if (Math.abs(seconds) < 60) return fmt.format(-seconds, 'second');
  if (Math.abs(seconds) < 3600) return fmt.format(-Math.round(seconds / 60), 'minute');
  if (Math.abs(seconds) < 86400) return fmt.format(-Math.round(seconds / 3600), 'hour');
  return fmt.format(-Math.round(seconds / 86400), 'day');
}

/** mib is used to show GPU memory. */
export function mib(value: number | null): string {
  if (value === null) return '—';
  return value >= 1024 ? `${(value / 1024).toFixed(1)} GiB` : `${value} MiB`;
}
