/**
 * CPU time spent by processes while a benchmark runs, read from /proc (Linux): the server under
 * test with its worker processes, the PostgreSQL server's processes, and the benchmark itself —
 * so a table can say where the time of one operation goes, not only how many there were.
 * Elsewhere (no /proc) every reading is null.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

interface Proc { readonly pid: number; readonly ppid: number; readonly comm: string; readonly ticks: number }

function processes(): Proc[] | null {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const out: Proc[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // After the name: state ppid … utime (11) stime (12) cutime (13) cstime (14).
    out.push({ pid: Number(name), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
  }
  return out;
}

/** CPU seconds per part: the server tree (`serverPid` and its descendants), PostgreSQL, this process. */
export interface CpuReading {
  readonly server: number;
  readonly postgres: number;
  readonly client: number;
}

function read(serverPid: number | undefined): CpuReading | null {
  const all = processes();
  if (!all) return null;
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let server = 0;
  const stack = all.filter((p) => p.pid === serverPid);
  while (stack.length > 0) {
    const p = stack.pop()!;
    server += p.ticks;
    stack.push(...(children.get(p.pid) ?? []));
  }
  const postgres = all.filter((p) => p.comm === 'postgres').reduce((n, p) => n + p.ticks, 0);
  const own = process.cpuUsage();
  return { server: server / TICKS_PER_SECOND, postgres: postgres / TICKS_PER_SECOND, client: (own.user + own.system) / 1e6 };
}

/** Starts a reading; the function returned gives the CPU seconds used since, per part. */
export function cpuSince(serverPid: number | undefined): () => CpuReading | null {
  const before = read(serverPid);
  return () => {
    const after = read(serverPid);
    if (!before || !after) return null;
    return { server: after.server - before.server, postgres: after.postgres - before.postgres, client: after.client - before.client };
  };
}

/** Sums readings (null if any is). */
export function addCpu(readings: ReadonlyArray<CpuReading | null>): CpuReading | null {
  let server = 0, postgres = 0, client = 0;
  for (const r of readings) {
    if (!r) return null;
    server += r.server;
    postgres += r.postgres;
    client += r.client;
  }
  return { server, postgres, client };
}
