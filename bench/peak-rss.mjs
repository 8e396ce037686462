// Preloaded into a measured process (`node --import ./bench/peak-rss.mjs ...`): at exit it writes its
// peak resident set size in kB (getrusage's ru_maxrss) to $MESH_PEAK_RSS_FILE, so a benchmark can
// report the memory of the mesh process it ran without any tool beyond Node.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.MESH_PEAK_RSS_FILE) writeFileSync(process.env.MESH_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS));
});
