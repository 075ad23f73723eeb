import { TargetSpecError, declareTarget } from './types';

/** A user name, a host name (or IPv4/IPv6 address in brackets), and a folder: what `ssh:` accepts, nothing that a shell would read otherwise. */
const USER = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])$/;
const DIR = /^[A-Za-z0-9._/~+-]{1,400}$/;

/**
 * Another machine over SSH: the exported project and the data it needs are copied to `dir` (a
 * folder made under the remote home when not given), torchrun runs there, and its report is
 * followed back. `host` may name an entry of ~/.ssh/config.
 */
export const ssh = declareTarget({
  kind: 'ssh',
  syntax: 'ssh:[user@]host[:dir]',
  doc: 'Another machine over SSH: the exported project and its data copied there, torchrun run there, its report followed back.',
  parse(rest): { user?: string; host: string; dir?: string } {
    if (rest === undefined || rest === '') throw new TargetSpecError('ssh takes the machine: ssh:user@host or ssh:user@host:folder');
    const at = rest.indexOf('@');
    const user = at >= 0 ? rest.slice(0, at) : undefined;
    const hostAndDir = at >= 0 ? rest.slice(at + 1) : rest;
    const bracket = hostAndDir.startsWith('[') ? hostAndDir.indexOf(']') + 1 : 0;
    const colon = hostAndDir.indexOf(':', bracket);
    const host = colon >= 0 ? hostAndDir.slice(0, colon) : hostAndDir;
    const dir = colon >= 0 ? hostAndDir.slice(colon + 1) : undefined;
    if (user !== undefined && !USER.test(user)) throw new TargetSpecError(`ssh: "${user}" is not a user name (letters, digits, . _ -)`);
    if (!HOST.test(host)) throw new TargetSpecError(`ssh: "${host}" is not a host name or address`);
    if (dir !== undefined && (!DIR.test(dir) || dir.split('/').includes('..'))) throw new TargetSpecError(`ssh: "${dir}" is not a folder Netwright will use (letters, digits, . _ / ~ + -, no "..")`);
    return { ...(user !== undefined ? { user } : {}), host, ...(dir !== undefined ? { dir } : {}) };
  },
  format: (o) => `ssh:${o.user !== undefined ? `${o.user}@` : ''}${o.host}${o.dir !== undefined ? `:${o.dir}` : ''}`,
});
