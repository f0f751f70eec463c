// A throwaway OpenLDAP slapd on 127.0.0.1 for the browser tests, with the same entries as the
// C++ tests' SlapdServer (tests/data/ldap): StartTLS and LDAPS with its own CA, alice..erin as
// people. It can present a certificate that is wrong in the ways an admin meets (another
// host's, or one from a CA Parley is not given), and startSilentServer() plays a hung one.
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

/** The directory's people, by what the directory test should say about them. */
export const directoryUsers = {
  admin: { username: 'alice', password: 'alice-password' }, // in parley-admins and parley-users
  user: { username: 'bob', password: 'bob-password' },
  auditor: { username: 'carol', password: 'carol-password' },
  /** Binds fine, but is in no group: the test's `groups` step fails ("role: none"). */
  noGroup: { username: 'dave', password: 'dave-password' },
};

/** Starts slapd in `directory`; resolves with
 *  - `settings`: the parleyd settings (--set pairs) for directory login against it over
 *    StartTLS (`uri`), with `caFile` as ldap.ca_file and a 2 s network timeout;
 *  - `uri` (ldap://, StartTLS) and `ldapsUri` (ldaps://) of this slapd;
 *  - `caFile`: the CA Parley is given; `otherCaFile`: a CA that signed nothing slapd presents
 *    (give it as caFile in a test request to see "a CA the server does not trust");
 *  - `stop()`. Stopped by the harness's cleanups too.
 *  `certificate` chooses what slapd presents (on both ports):
 *  - 'valid' (default): names localhost and 127.0.0.1, signed by `caFile`;
 *  - 'wrong-host': names only wrong.example, signed by `caFile` (the directory test's `tls`
 *    step says "the certificate of 127.0.0.1 names only wrong.example");
 *  - 'untrusted-ca': names localhost and 127.0.0.1, signed by `otherCaFile`, not by `caFile`
 *    (the `tls` step says "issued by "CN=Parley Other Test CA", a CA the server does not trust:
 *    set ldap.ca_file ..."). */
export async function startSlapd(directory, { certificate = 'valid' } = {}) {
  if (!['valid', 'wrong-host', 'untrusted-ca'].includes(certificate)) throw new Error(`unknown certificate '${certificate}'`);
  mkdirSync(path.join(directory, 'db'), { recursive: true });
  sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Parley Test CA' -keyout ca.key -out ca.crt", directory);
  sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Parley Other Test CA' -keyout other-ca.key -out other-ca.crt", directory);
  const wrongHost = certificate === 'wrong-host';
  const signer = certificate === 'untrusted-ca' ? 'other-ca' : 'ca';
  sh(`openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=${wrongHost ? 'wrong.example' : 'localhost'}' -keyout server.key -out server.csr`, directory);
  writeFileSync(path.join(directory, 'server.ext'),
    wrongHost ? 'subjectAltName=DNS:wrong.example\n' : 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sh(`openssl x509 -req -in server.csr -CA ${signer}.crt -CAkey ${signer}.key -CAcreateserial -days 2 -extfile server.ext -out server.crt`, directory);
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
  let ldapsPort = await freePort();
  while (ldapsPort === port) ldapsPort = await freePort();
  const uri = `ldap://127.0.0.1:${port}`;
  const ldapsUri = `ldaps://127.0.0.1:${ldapsPort}`;
  const slapd = spawn('/usr/sbin/slapd', ['-d', '0', '-f', path.join(directory, 'slapd.conf'), '-h', `${uri}/ ${ldapsUri}/`],
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
  const caFile = path.join(directory, 'ca.crt');
  return { stop, uri, ldapsUri, caFile, otherCaFile: path.join(directory, 'other-ca.crt'),
    settings: ['--set', 'ldap.enabled=true', '--set', `ldap.uris=${uri}`, '--set', `ldap.ca_file=${caFile}`,
    '--set', 'ldap.bind_dn=cn=svc-parley,ou=services,dc=example,dc=org', '--set', 'ldap.bind_password=service-secret',
    '--set', 'ldap.user_base=ou=people,dc=example,dc=org',
    '--set', 'ldap.admin_groups=cn=parley-admins,ou=groups,dc=example,dc=org',
    '--set', 'ldap.auditor_groups=cn=parley-auditors,ou=groups,dc=example,dc=org',
    '--set', 'ldap.user_groups=cn=parley-users,ou=groups,dc=example,dc=org',
    '--set', 'ldap.network_timeout_seconds=2', '--set', 'ldap.operation_timeout_seconds=3'] };
}

/** A TCP listener on 127.0.0.1 that accepts connections and never says a word: a hung
 *  directory server. Resolves with `port`, `uri(scheme)` ('ldaps' by default; 'ldap' for
 *  StartTLS) and `stop()`; stopped by the harness's cleanups too. As a URI in a directory test
 *  request, the `connect` step fails with "<uri> did not answer within 2 s: it accepted the
 *  TCP connection, then sent nothing" (2 s: the network timeout of startSlapd's settings). */
export async function startSilentServer() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const stop = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  cleanups.push(stop);
  return { port, uri: (scheme = 'ldaps') => `${scheme}://127.0.0.1:${port}`, stop };
}
