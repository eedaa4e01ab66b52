# Floating-point benchmark: tiled double-precision matrix products with row scaling
# (bench/fp/fpbench.c, packed as /bin/kite-fpbench).
/bin/kite-fpbench
