import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

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
