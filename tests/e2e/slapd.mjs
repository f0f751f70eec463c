// A throwaway OpenLDAP slapd on 127.0.0.1 for the browser tests, with the same entries as the
// C++ tests' SlapdServer (tests/data/ldap): StartTLS with its own CA, alice..erin as people.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanups, sleep } from './harness.mjs';

const data = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'ldap');

function sh(command, cwd) {
  const result = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`slapd setup failed: ${command}\n${result.stdout}${result.stderr}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const accepts = (port) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('connect', () => { socket.destroy(); resolve(true); });
  socket.on('error', () => resolve(false));
});

/** Starts slapd in `directory`; resolves with `settings`, the parleyd settings (--set pairs)
 *  for directory login against it, and `stop()`. Stopped by the harness's cleanups too. */
export async function startSlapd(directory) {
  mkdirSync(path.join(directory, 'db'), { recursive: true });
  sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Parley Test CA' -keyout ca.key -out ca.crt", directory);
  sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr", directory);
  writeFileSync(path.join(directory, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sh('openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt', directory);
  writeFileSync(path.join(directory, 'slapd.conf'), [
    'include /etc/ldap/schema/core.schema', 'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema', `include ${data}/ad_shaped.schema`,
    'modulepath /usr/lib/ldap', 'moduleload back_mdb', 'moduleload memberof',
    `pidfile ${directory}/slapd.pid`, `TLSCACertificateFile ${directory}/ca.crt`,
    `TLSCertificateFile ${directory}/server.crt`, `TLSCertificateKeyFile ${directory}/server.key`,
    'database mdb', 'maxsize 10485760', 'suffix "dc=example,dc=org"', 'rootdn "cn=admin,dc=example,dc=org"',
    'rootpw admin-secret', `directory ${directory}/db`,
    'access to attrs=userPassword by anonymous auth by self read by * none', 'access to * by users read by * none',
    'overlay memberof', 'memberof-refint TRUE', ''].join('\n'));
  sh(`slapadd -f slapd.conf -l ${data}/base.ldif`, directory);
  const port = await freePort();
  const uri = `ldap://127.0.0.1:${port}`;
  const slapd = spawn('/usr/sbin/slapd', ['-d', '0', '-f', path.join(directory, 'slapd.conf'), '-h', `${uri}/`],
    { cwd: directory, stdio: 'ignore' });
  cleanups.push(() => slapd.kill('SIGTERM'));
  for (let i = 0; i < 200 && !(await accepts(port)); ++i) await sleep(25);
  if (!(await accepts(port))) throw new Error('slapd did not start');
  sh(`ldapadd -x -H ${uri} -D cn=admin,dc=example,dc=org -w admin-secret -f ${data}/entries.ldif`, directory);
  const stop = () => new Promise((resolve) => {
    if (slapd.exitCode !== null) return resolve();
    slapd.on('exit', resolve);
    slapd.kill('SIGTERM');
  });
  return { stop, settings: ['--set', 'ldap.enabled=true', '--set', `ldap.uris=${uri}`, '--set', `ldap.ca_file=${directory}/ca.crt`,
    '--set', 'ldap.bind_dn=cn=svc-parley,ou=services,dc=example,dc=org', '--set', 'ldap.bind_password=service-secret',
    '--set', 'ldap.user_base=ou=people,dc=example,dc=org',
    '--set', 'ldap.admin_groups=cn=parley-admins,ou=groups,dc=example,dc=org',
    '--set', 'ldap.auditor_groups=cn=parley-auditors,ou=groups,dc=example,dc=org',
    '--set', 'ldap.user_groups=cn=parley-users,ou=groups,dc=example,dc=org',
    '--set', 'ldap.network_timeout_seconds=2', '--set', 'ldap.operation_timeout_seconds=3'] };
}
