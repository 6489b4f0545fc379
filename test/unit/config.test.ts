import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError, configKeys, DEFAULT_CONFIG_FILE, ENV_KEYS, loadConfig } from '../../src/config.js';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).to.equal('sqlite:data/dirgate.sqlite');
    expect(c.http.port).to.equal(9000);
    expect(c.ldap.port).to.equal(3389);
    expect(c.ldap.ldapsPort).to.equal(6636);
    expect(c.ldap.baseDn).to.equal('dc=example,dc=com');
    expect(c.http.publicUrl).to.equal('http://localhost:9000');
    expect(c.logLevel).to.equal('info');
    expect(Object.isFrozen(c) && Object.isFrozen(c.ldap)).to.equal(true);
  });

  it('gives every key an environment variable, and config/default.yaml names it beside the key', () => {
    const keys = configKeys();
    expect(keys).to.include.members(['auth.scrypt_r', 'auth.scrypt_p', 'http.public_url', 'bootstrap.token']);
    const byKey = new Map(Object.entries(ENV_KEYS).map(([env, key]) => [key, env]));
    const yaml = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
    for (const key of keys) {
      const env = byKey.get(key);
      expect(env, `${key} has no environment variable`).to.be.a('string');
      expect(yaml, `config/default.yaml does not name ${env} for ${key}`).to.match(new RegExp(`\\[[^\\]]*\\b${env}\\b[^\\]]*\\]`));
    }
    expect(loadConfig({ DIRGATE_SCRYPT_R: '4', DIRGATE_SCRYPT_P: '2' }).auth.scrypt).to.include({ r: 4, p: 2 });
  });

  it('derives the public URL from the HTTP port unless it is set', () => {
    expect(loadConfig({ DIRGATE_HTTP_PORT: '8123' }).http.publicUrl).to.equal('http://localhost:8123');
    expect(loadConfig({ DIRGATE_HTTP_PORT: '8123', DIRGATE_PUBLIC_URL: 'https://id.example.com/' }).http.publicUrl).to.equal('https://id.example.com');
  });

  it('checks the bootstrap values like any other key, naming key and variable', () => {
    expect(configError({ DIRGATE_BOOTSTRAP_PASSWORD: 'short' })).to.equal('configuration: bootstrap.password (DIRGATE_BOOTSTRAP_PASSWORD) must be at least 8 characters (or empty, to have one generated)');
    expect(configError({ DIRGATE_BOOTSTRAP_TOKEN: 'mytoken' })).to.equal('configuration: bootstrap.token (DIRGATE_BOOTSTRAP_TOKEN) must be at least 32 characters (or empty, to have one generated)');
    expect(loadConfig({ DIRGATE_BOOTSTRAP_TOKEN: 'dgt_0123456789abcdef0123456789abcdef' }).bootstrap.token).to.have.length(36);
  });

  it('lets DIRGATE_* variables override the file named by DIRGATE_CONFIG, which overrides the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'http:\n  port: 8000\nldap:\n  base_dn: dc=corp,dc=io\n');
    const c = loadConfig({ DIRGATE_CONFIG: file, DIRGATE_HTTP_PORT: '8100' });
    expect(c.http.port).to.equal(8100);
    expect(c.ldap.baseDn).to.equal('dc=corp,dc=io');
  });

  it('names the key of a bad value in one line', () => {
    expect(configError({ DIRGATE_HTTP_PORT: 'eighty' })).to.match(/^configuration: http\.port \(DIRGATE_HTTP_PORT\)/);
    expect(configError({ DIRGATE_DATABASE_URL: 'mysql://x' })).to.match(/database\.url .*sqlite:PATH or postgres/);
    expect(configError({ DIRGATE_LOG_LEVEL: 'loud' })).to.match(/log\.level/);
    for (const m of [configError({ DIRGATE_HTTP_PORT: '70000' })]) expect(m.split('\n')).to.have.length(1);
  });

  it('refuses unknown keys in a config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'http:\n  prot: 8000\n');
    expect(configError({ DIRGATE_CONFIG: file })).to.match(/unknown key http\.prot/);
  });
});
