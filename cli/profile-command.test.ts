import { jest } from '@jest/globals';
import { Command } from 'commander';
import { load } from 'js-yaml';
import { registerProfileCommand } from './profile-command.js';

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => (err.push(String(chunk)), true));
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    registerProfileCommand(program);
    await program.parseAsync(['node', 'k-siss', 'profile', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('k-siss profile', () => {
  it("prints the YAML for the ConfigMap key _profiles: the profile name, then each tier's token rates", async () => {
    const r = await run(['--tiers', 'mig-7g.80gb,mig-3g.40gb', '--name', 'llama-8b']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# k-siss profile: /);
    expect(r.stdout).toContain(
      '# Mixes: decode-heavy 200 prompt / 500 output tokens, prefill-heavy 4000 / 50.',
    );
    const doc = load(r.stdout) as Record<string, Record<string, Record<string, number>>>;
    expect(Object.keys(doc)).toEqual(['llama-8b']);
    expect(Object.keys(doc['llama-8b'] ?? {})).toEqual(['mig-7g.80gb', 'mig-3g.40gb']);
    for (const tier of Object.values(doc['llama-8b'] ?? {})) {
      expect(Object.keys(tier)).toEqual(['promptTokensPerS', 'outputTokensPerS']);
      expect(tier['promptTokensPerS']).toBeGreaterThan(0);
      expect(tier['outputTokensPerS']).toBeGreaterThan(0);
    }
    const big = doc['llama-8b']?.['mig-7g.80gb'];
    const small = doc['llama-8b']?.['mig-3g.40gb'];
    expect(big?.['promptTokensPerS']).toBeGreaterThan(small?.['promptTokensPerS'] ?? Infinity);
  });

  const bad = [
    {
      name: 'a tier the model does not fit',
      args: ['--tiers', 'mig-1g.5gb'],
      message: '--tiers: profile of tier mig-1g.5gb: tier mig-1g.5gb (5 GB)',
    },
    {
      name: 'an unknown tier',
      args: ['--tiers', 'mig-9g'],
      message: 'profile of tier mig-9g: not in the tier catalog',
    },
    { name: 'no tier', args: ['--tiers', ' , '], message: '--tiers = " , ": names no tier' },
    {
      name: 'a bad name',
      args: ['--tiers', 'mig-7g.80gb', '--name', 'a b'],
      message: '--name = "a b": must be',
    },
    { name: 'a bad SLO', args: ['--slo-tpot-ms', '0'], message: '--slo-tpot-ms = "0": must be a number > 0' },
  ];
  it.each(bad)('rejects $name with exit 2, naming the flag', async ({ args, message }) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`k-siss profile: `);
    expect(r.stderr).toContain(message);
  });
});
