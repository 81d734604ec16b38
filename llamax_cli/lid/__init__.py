"""Language identification: `detect` (a linear model on character n-grams, calibrated),
its features, and Chinese script variants.

May import: llamax_cli.core, third-party libraries.
"""
