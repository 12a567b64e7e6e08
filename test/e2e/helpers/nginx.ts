import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's nginx (.ci/run installs it); the tests name it in describeWithMender's tools. */
export const NGINX_BIN = '/usr/sbin/nginx';

/** The address nginx connects to Gatehouse from (`proxy_bind`): the one Gatehouse trusts. */
export const PROXY_SOURCE_ADDRESS = '127.0.0.2';
export const CLIENT_CERT_HEADER = 'X-Client-Cert';

export interface NginxOptions {
  /** Gatehouse's plain HTTP listener, e.g. http://127.0.0.1:4321 (nginx reaches it from 127.0.0.2). */
  upstreamUrl: string;
  /** The TLS server certificate (may hold a chain) and key nginx presents to devices. */
  certFile: string;
  keyFile: string;
}

export interface Nginx {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  dir: string;
  /** One line per request: `<remote> "<request>" <status> <ssl_client_verify> "<client subject>" <upstream status>`. */
  accessLog(): string[];
  errorLogTail(lines?: number): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const freePort = async (): Promise<number> => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
};

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/**
 * An edge proxy as a deployment would run it in front of Gatehouse: nginx terminates TLS, asks
 * for a client certificate without judging it (`optional_no_ca`: Gatehouse verifies the chain
 * against the tenant's CAs) and forwards the leaf as `$ssl_client_escaped_cert` (URL-encoded PEM;
 * nginx has no variable for the rest of the chain). Everything nginx writes stays in a temp dir.
 */
const nginxConf = (dir: string, port: number, o: NginxOptions): string => {
  const upstream = new URL(o.upstreamUrl);
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 512; }
http {
  log_format gh '$remote_addr "$request" $status $ssl_client_verify "$ssl_client_s_dn" $upstream_status';
  access_log ${join(dir, 'access.log')} gh;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${o.certFile};
    ssl_certificate_key ${o.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_verify_client optional_no_ca;
    ssl_verify_depth 5;
    # Artifacts: no size limit here (Gatehouse enforces its own), streamed both ways.
    client_max_body_size 0;
    location / {
      proxy_pass http://${upstream.host};
      proxy_bind ${PROXY_SOURCE_ADDRESS};
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # Always set, so a client cannot send its own: empty (not sent) without a client certificate.
      proxy_set_header ${CLIENT_CERT_HEADER} $ssl_client_escaped_cert;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
};

/** Starts a private nginx (`daemon off`, own prefix, config, pid and logs); stop() ends it. */
export const startNginx = async (opts: NginxOptions): Promise<Nginx> => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const errorLog = join(dir, 'error.log');
  const tail = (file: string, lines: number) =>
    existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(none)';

  let lastFailure = '';
  // The free port may be taken between probing and nginx binding it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConf(dir, port, opts));
    const output: string[] = [];
    // -e: the error log nginx uses before it has read the config (else /var/log/nginx/error.log).
    const child = spawn(NGINX_BIN, ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (e) => {
        output.push(String(e));
        resolve();
      });
    });
    const deadline = Date.now() + 10_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await canConnect(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // SIGQUIT: graceful shutdown (workers finish their requests); SIGKILL as a last resort.
          child.kill('SIGQUIT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        live.delete(child);
        rmSync(dir, { recursive: true, force: true });
      };
      return {
        url: `https://127.0.0.1:${port}`,
        port,
        dir,
        accessLog: () => {
          const file = join(dir, 'access.log');
          return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
        },
        errorLogTail: (lines = 30) => tail(errorLog, lines),
        stop,
      };
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    live.delete(child);
    lastFailure = `${output.join('')}\n${tail(errorLog, 20)}`;
    if (!/Address already in use/.test(lastFailure)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start:\n${lastFailure}`);
};
