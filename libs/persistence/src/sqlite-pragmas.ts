export const SqlitePragmas = {
  /**
   * WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode keeps every committed transaction
   * across a crash of the process (what kill -9 tests); only an OS crash or power loss can drop the last
   * commits, the standard trade-off for WAL.
   */
  apply(db: { pragma(source: string): unknown }): void {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  },
};
