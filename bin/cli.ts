// What every command does with --help (or -h): print its usage on stdout and exit 0, before
// it parses anything else or starts anything.
export function answerHelp(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  // Only before a bare `--`: what follows it is an argument, not an option of the command.
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
}
