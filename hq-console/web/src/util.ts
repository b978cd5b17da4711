// Small pure helpers and hooks the pages share: hash routing, clocks, time formatting, alert
// status, and the addressing forms the composer accepts.
import { useEffect, useState } from 'react';
import type { AlertView } from '../../src/server/events';

/** The current hash route: `#/alerts/ID?x=1` → `{ parts: ['alerts', 'ID'], query }`. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts: parts.length ? parts : ['feed'], query: new URLSearchParams(search) };
}

/** Follows `location.hash`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** The hash link to an alert's page. */
export const alertHref = (id: string) => `#/alerts/${encodeURIComponent(id)}`;

/** The current time, re-read every `ms` (for relative times and expiry). */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

/** Times are shown in IST (Asia/Kolkata), whatever the browser's own zone, with the zone named. */
export const TIME_ZONE = 'Asia/Kolkata';
const dateTime = new Intl.DateTimeFormat('en-IN', {
  timeZone: TIME_ZONE,
  day: '2-digit',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `05 Mar, 14:02:09 IST`, or a dash. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${dateTime.format(d)} IST`;
}

/** `3 min ago`, `in 2 h`, from a time and now. */
export function relTime(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  // `now` is re-read every few seconds, so something that just happened can look a little ahead.
  if (s > -60 && s < 5) return 'just now';
  const a = Math.abs(s);
  const v =
    a < 45
      ? `${a} s`
      : a < 3600
        ? `${Math.round(a / 60)} min`
        : a < 86_400 * 2
          ? `${Math.round(a / 3600)} h`
          : `${Math.round(a / 86_400)} d`;
  return s >= 0 ? `${v} ago` : `in ${v}`;
}

/** CAP severities, worst first. */
export const SEVERITIES = ['extreme', 'severe', 'moderate', 'minor', 'unknown'] as const;
export const URGENCIES = ['immediate', 'expected', 'future', 'past', 'unknown'] as const;
export const CERTAINTIES = ['observed', 'likely', 'possible', 'unlikely', 'unknown'] as const;
export const CATEGORIES = [
  'geo',
  'met',
  'safety',
  'security',
  'rescue',
  'fire',
  'health',
  'env',
  'transport',
  'infra',
  'cbrne',
  'other',
] as const;
export const GENDERS = ['male', 'female', 'transgender', 'unknown'] as const;
export const PERSON_ROLES = [
  'accused',
  'arrested',
  'wanted',
  'proclaimed_offender',
  'missing',
  'unidentified_found',
  'suspect',
  'victim',
  'witness',
] as const;
export const VEHICLE_STATUSES = ['stolen', 'recovered', 'suspect', 'involved'] as const;

/** What became of an alert, as far as the console's feed shows. */
export type AlertStatus = 'active' | 'expired' | 'cancelled' | 'updated';
export const STATUSES: AlertStatus[] = ['active', 'expired', 'cancelled', 'updated'];

/**
 * Derives each alert's status from the alerts known: cancelled if a later Cancel references it,
 * updated if a later Update does, expired once its expiry has passed, else active.
 */
export function alertStatuses(alerts: AlertView[], now: number): Map<string, AlertStatus> {
  const cancelled = new Set<string>();
  const updated = new Set<string>();
  for (const a of alerts) {
    const into = a.msgType === 'cancel' ? cancelled : a.msgType === 'update' ? updated : null;
    for (const r of a.references) into?.add(r);
  }
  const out = new Map<string, AlertStatus>();
  for (const a of alerts) {
    const expired = a.expires !== null && new Date(a.expires).getTime() < now;
    out.set(
      a.id,
      cancelled.has(a.id)
        ? 'cancelled'
        : updated.has(a.id)
          ? 'updated'
          : expired
            ? 'expired'
            : 'active',
    );
  }
  return out;
}

const PART = '[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?';
const DISTRICT = new RegExp(`^([A-Z]{2})/${PART}$`);
const STATION = new RegExp(`^station/([A-Z]{2})/${PART}/${PART}$`);

/** Splits a textarea into entries (one per line; commas also separate). */
export function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The entries that are not a district `MH/PUNE` of a known State/UT. */
export function badDistricts(list: string[], states: readonly string[]): string[] {
  return list.filter((d) => !states.includes(DISTRICT.exec(d)?.[1] ?? ''));
}

/** The entries that are not a station identity `station/MH/PUNE/PS001` of a known State/UT. */
export function badStations(list: string[], states: readonly string[]): string[] {
  return list.filter((s) => !states.includes(STATION.exec(s)?.[1] ?? ''));
}
