"""Sample data for demos, tests and benchmarks: a school year's messy form answers, made from a plan.

Outside the core on purpose: the product never needs it, and the core stays the rules of the domain only.
"""
