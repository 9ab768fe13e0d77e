/** Where an SSH command goes: an inventory node's name (for messages) and its address. */
export interface SshTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}
