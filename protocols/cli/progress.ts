import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on stderr, so stdout stays clean for data (`export --out -`, `--json`). */
export function progressBar(label: string, unit: string): SingleBar {
  return new SingleBar({
    format: `${label} |{bar}| {percentage}% | {value}/{total} ${unit} | {eta_formatted} left{extra}`,
    hideCursor: true,
    stream: process.stderr,
    etaBuffer: 50,
    fps: 5,
    // Not a terminal (a script, CI): no redraws, just the final state.
    noTTYOutput: false,
  }, Presets.shades_classic);
}
