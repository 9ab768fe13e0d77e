/** Evidence a human can check: the command that ran on which node, and the lines of its output that matter. */
export interface Evidence {
  readonly node: string;
  readonly command: string;
  readonly lines: readonly string[];
  readonly note?: string | undefined;
}
