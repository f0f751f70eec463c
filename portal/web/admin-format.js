// How the console shows numbers, sizes, rates and times to an administrator: sizes in GB or
// MB, rates in Mbit/s, durations in hours and minutes, times in the browser's locale and
// time zone.
import { texts } from './admin-texts.js';

const number = (value, digits) => value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Bytes as GB (from 1 GB on) or MB, decimal units as disks are sold. */
export function size(bytes) {
  if (bytes === undefined || bytes === null) return texts.unknown;
  if (bytes >= 1e9) return texts.units.gigabytes(number(bytes / 1e9, 1));
  return texts.units.megabytes(number(bytes / 1e6, bytes >= 1e7 ? 0 : 1));
}

/** Bits per second as Mbit/s: two decimals under 10 Mbit/s, so that an audio stream shows. */
export function rate(bitsPerSecond) {
  if (bitsPerSecond === undefined || bitsPerSecond === null) return texts.unknown;
  const mbits = bitsPerSecond / 1e6;
  return texts.units.mbits(number(mbits, mbits >= 10 ? 1 : 2));
}

export const percent = (value) => (value === undefined || value === null ? texts.unknown : texts.units.percent(number(value, 1)));

export const milliseconds = (value) => (value === undefined || value === null ? texts.unknown : texts.units.milliseconds(Math.round(value)));

export const count = (value) => (value === undefined || value === null ? texts.unknown : value.toLocaleString());

/** A span of seconds: "2 d 3 h", "1 h 5 min", "12 min" or "40 s". */
export function duration(seconds) {
  if (seconds === undefined || seconds === null) return texts.unknown;
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return texts.units.daysHours(days, hours);
  if (hours) return texts.units.hoursMinutes(hours, minutes);
  if (minutes) return texts.units.minutes(minutes);
  return texts.units.seconds(s);
}

/** Seconds from an ISO time until now. */
export const secondsSince = (iso) => (Date.now() - new Date(iso).getTime()) / 1000;

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const preciseFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

const valid = (iso) => iso && !Number.isNaN(new Date(iso).getTime());

/** An ISO time in the browser's locale and time zone (to the minute). */
export const dateTime = (iso) => (valid(iso) ? dateTimeFormat.format(new Date(iso)) : texts.unknown);
/** To the second, for the audit log. */
export const preciseTime = (iso) => (valid(iso) ? preciseFormat.format(new Date(iso)) : texts.unknown);
export const date = (iso) => (valid(iso) ? dateFormat.format(new Date(iso)) : texts.unknown);
/** The time of day now, to the second. */
export const clockNow = () => clockFormat.format(new Date());
