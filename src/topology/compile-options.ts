/** How `StreamsBuilder.build()` compiles the logical graph (also what `defineApp` passes on). */
export interface CompileOptions {
  /**
   * Maps the name of every user topic (sources, sinks, tables) to the name used in this build, e.g. a
   * prefix per environment or per test run. Internal topics are named after the application id anyway.
   */
  readonly renameTopic?: (name: string) => string;
}
