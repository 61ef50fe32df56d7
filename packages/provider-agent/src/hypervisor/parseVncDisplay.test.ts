import { parseVncDisplay } from './VirshHypervisor';

describe('parseVncDisplay', () => {
  it('reads a loopback display as its port', () => {
    expect(parseVncDisplay('127.0.0.1:0\n')).toEqual({
      host: '127.0.0.1',
      port: 5900,
    });
    expect(parseVncDisplay(':3')).toEqual({ host: '127.0.0.1', port: 5903 });
  });

  it('refuses a display on any other address, or none', () => {
    expect(parseVncDisplay('0.0.0.0:0')).toBeUndefined();
    expect(parseVncDisplay('192.168.1.5:1')).toBeUndefined();
    expect(parseVncDisplay('')).toBeUndefined();
    expect(parseVncDisplay('127.0.0.1:70000')).toBeUndefined();
  });
});
