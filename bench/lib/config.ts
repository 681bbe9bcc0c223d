/** Sample counts of one bench run. BENCH_QUICK=1 gives a short smoke run; each count has an env override. */
export interface BenchConfig {
  quick: boolean;
  /** Interleaved rounds of every micro-benchmark (ratios are taken per round, then the median). */
  rounds: number;
  /** tinybench time budget per task and round, ms: short, so the variants of a round run close together. */
  taskTimeMs: number;
  /** tinybench warm-up per task, first round only. */
  warmupMs: number;
  /** Operations per allocation sample (one sample = N awaited calls between two heap readings). */
  allocOps: number;
  allocSamples: number;
  /** Kill/restart cycles per recovery scenario. */
  recoveryRuns: number;
  /** Team startup repetitions (the LangChain run with the hanging server runs once). */
  startupRuns: number;
  /** Fresh `node` processes per entry for the cold-import figures (rounds interleaved). */
  coldImportRuns: number;
  /** Our own bound on MultiServerMCPClient with the hanging server (it has none below the SDK's 60 s). */
  langchainHangBoundMs: number;
  scaleServers: number;
  /** Rounds of one concurrent call per server in the scale test. */
  scaleCallRounds: number;
  /** Recorded rounds of connecting fresh raw and ours populations (after one warm-up round). */
  scaleConnectRounds: number;
  /** Events emitted into the bus for the EventBus throughput figure. */
  busEvents: number;
  /** Interleaved rounds of the team-turn variants (section 7). */
  teamTurnRounds: number;
  /** Turns per variant and round (the round's figure is their median). */
  teamTurnTurns: number;
}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${key}=${raw}: expected a positive number`);
  return value;
}

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return {
    quick,
    rounds: int(env, 'BENCH_ROUNDS', quick ? 24 : 60),
    taskTimeMs: int(env, 'BENCH_TASK_MS', quick ? 25 : 50),
    warmupMs: int(env, 'BENCH_WARMUP_MS', quick ? 100 : 200),
    allocOps: int(env, 'BENCH_ALLOC_OPS', quick ? 500 : 2_000),
    allocSamples: int(env, 'BENCH_ALLOC_SAMPLES', quick ? 5 : 21),
    recoveryRuns: int(env, 'BENCH_RECOVERY_RUNS', quick ? 2 : 5),
    startupRuns: int(env, 'BENCH_STARTUP_RUNS', quick ? 1 : 4),
    coldImportRuns: int(env, 'BENCH_COLD_IMPORT_RUNS', quick ? 3 : 15),
    langchainHangBoundMs: int(env, 'BENCH_LANGCHAIN_HANG_MS', quick ? 8_000 : 100_000),
    scaleServers: int(env, 'BENCH_SCALE_SERVERS', quick ? 300 : 1_000),
    scaleCallRounds: int(env, 'BENCH_SCALE_ROUNDS', quick ? 5 : 20),
    scaleConnectRounds: int(env, 'BENCH_CONNECT_ROUNDS', quick ? 4 : 9),
    busEvents: int(env, 'BENCH_BUS_EVENTS', quick ? 200_000 : 1_000_000),
    teamTurnRounds: int(env, 'BENCH_TEAM_ROUNDS', quick ? 4 : 20),
    teamTurnTurns: int(env, 'BENCH_TEAM_TURNS', quick ? 3 : 6),
  };
}
