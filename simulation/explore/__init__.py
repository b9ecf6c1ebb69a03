"""Global sensitivity analysis and scenario discovery over the model (``sifsim explore``).

study.py (the declared study), designs.py (SALib samplers and analyses, the Sobol governor),
evaluate.py (design points through the engine, in resumable chunks), discovery.py (PRIM boxes
as sentences), break_even.py (bisection on paired replications), command.py (the command and its
run folder).
"""
