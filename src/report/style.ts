/** Colour and spinners only for a person at a terminal: never with NO_COLOR, CI, -o json or a pipe. */
export interface OutputStyle {
  color: boolean;
  spinner: boolean;
}

export function outputStyle(options: { color?: boolean; machine?: boolean }, stream: NodeJS.WriteStream = process.stderr): OutputStyle {
  const tty = Boolean(stream.isTTY);
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const color = tty && options.color !== false && !process.env.NO_COLOR && !options.machine;
  return { color, spinner: color && !ci };
}
