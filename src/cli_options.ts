import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the `mentor` commands: a bad value stops with a message naming it. */
export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export const langOption = (value: string): 'zh' | 'en' => {
  if (value !== 'zh' && value !== 'en') throw new InvalidArgumentError('must be zh or en');
  return value;
};
