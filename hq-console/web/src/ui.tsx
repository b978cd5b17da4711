// Small presentational pieces shared by the pages.
import type { ReactNode } from 'react';

/** A severity badge, coloured extreme red, severe orange, moderate amber, minor grey. */
export function Severity({ value }: { value: string }) {
  return <span className={`badge sev-${value}`}>{value}</span>;
}

/** A state badge (alert status, receipt state, notification state, broadcast status). */
export function Badge({ value, title }: { value: string; title?: string }) {
  return (
    <span className={`badge st-${value}`} title={title}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}

/** An error message, or nothing. */
export function ErrorBox({ error }: { error: string }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** A horizontal bar for `value` of `max`. */
export function Bar({ value, max, kind }: { value: number; max: number; kind: string }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div className="bar" role="progressbar" aria-valuenow={value} aria-valuemax={max}>
      <div className={`bar-fill ${kind}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

/** A page's title row with its tools on the right. */
export function PageHead({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      <div className="tools">{children}</div>
    </div>
  );
}

/** A definition list row that hides itself when empty. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  if (children === '' || children === null || children === undefined) return null;
  return (
    <>
      <dt>{label}</dt>
      <dd dir="auto">{children}</dd>
    </>
  );
}

/** `<option>`s for each value. */
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v.replace(/_/g, ' ')}
        </option>
      ))}
    </>
  );
}
