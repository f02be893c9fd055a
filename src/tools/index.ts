// Operator sub-commands of the hnsbridge binary.

export async function runTool(name: string, args: string[]): Promise<number> {
  void args;
  process.stderr.write(`hnsbridge: unknown command ${JSON.stringify(name)}; run "hnsbridge --help"\n`);
  return 1;
}
