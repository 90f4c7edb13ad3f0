"""inbox-tui: a team inbox for customer-support agents that lives in the terminal."""

import os as _os

__version__ = "0.1.0"

# The only BLAS work here is a matrix-vector product over the help centre's vectors,
# which is memory-bound: a second BLAS thread gains nothing on an idle machine, and on a
# shared server where every agent runs a process it spins against the others (20,000
# vectors, load 8 on 2 cores: 46 ms median with two threads, 8.6 ms with one). Set
# before numpy is first imported; a value the user set is kept.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")
