import tracemalloc, time, sys
from circuits.io import read_circuit
from expressivity.compile.circuit import compile_circuit
from expressivity.limits import estimate
for name in sys.argv[1:]:
    c = read_circuit(f"examples/circuits/iscas85/{name}.bench")
    cc = compile_circuit(c, check=False)
    m = cc.model
    n = len(c.inputs)
    print(name, "N", m.sequence_length(n), "width", m.width, "layers", m.layer_count(n), "estimate", estimate(m, n, "exact").memory/1e9, "GB", flush=True)
    tracemalloc.start(); t = time.time()
    cc.run([0]*n)
    print(" peak", tracemalloc.get_traced_memory()[1]/1e6, "MB", round(time.time()-t,1), "s", flush=True)
    tracemalloc.stop()
