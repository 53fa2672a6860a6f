import { mkdirSync, writeFileSync } from 'node:fs';
import { HELD_OUT_TRACES, syntheticFileName, syntheticTraceText } from './synthetic-traces.js';
mkdirSync('/tmp/dq/held', { recursive: true });
for (const s of HELD_OUT_TRACES) writeFileSync(`/tmp/dq/held/${syntheticFileName(s)}`, syntheticTraceText(s));
