#!/usr/bin/env python3
"""Seeds for fuzz_qmp: conversations that reach every command and the input paths."""
import os
import sys

out = sys.argv[1]
key = '{"type":"key","data":{"down":true,"key":{"type":"qcode","data":"a"}}}'
num = '{"type":"key","data":{"down":false,"key":{"type":"number","data":200}}}'
btn = '{"type":"btn","data":{"down":true,"button":"wheel-up"}}'
abs_ = '{"type":"abs","data":{"axis":"x","value":40000}}'
seeds = {
    "negotiate": ['{"execute":"qmp_capabilities","id":1}', '{"execute":"query-status"}'],
    "machine": ['{"execute":"qmp_capabilities"}', '{"execute":"stop"}',
                '{"execute":"query-status","id":"x"}', '{"execute":"cont"}',
                '{"execute":"system_reset"}', '{"execute":"quit"}',
                '{"execute":"query-version"}', '{"execute":"query-commands"}',
                '{"execute":"query-block"}'],
    "input": ['{"execute":"qmp_capabilities"}',
              '{"execute":"input-send-event","arguments":{"events":[%s,%s,%s,%s]}}'
              % (key, num, btn, abs_),
              '{"execute":"input-send-event","arguments":{"device":"tab","events":[%s]}}'
              % abs_],
    "bad": ['{"execute":', '[]', '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}',
            '{"execute":"stop","arguments":{"x":1}}'],
}
for name, lines in seeds.items():
    with open(os.path.join(out, "seed-" + name), "w") as f:
        f.write("\n".join(lines) + "\n")
# QMP is a stream, not lines: requests back to back, one over several lines, stray bytes.
with open(os.path.join(out, "seed-stream"), "w") as f:
    f.write('{"execute":"qmp_capabilities"}{"execute":"stop"}xx{"execute":\r\n "cont",\n'
            ' "id": "}{\\"["}\x01\n{"execute":"query-status"}')
